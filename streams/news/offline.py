"""``aureus news score REC``: run the news processors over a recording's ``news.raw`` and add ``news.scored``.

The scored items are linked to the recording's own instruments (by symbol), so the replay trades on them.
An existing ``news.scored`` topic is replaced; every other topic is copied unchanged.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from adapters.recorded.files import open_recording, to_record, write_recording
from engine.config import NewsWorkerConfig
from schemas.market import NewsRaw
from schemas.recording import Manifest
from streams.news.build import build_processor


def score_recording(
    rec: Path, config: NewsWorkerConfig, *, out: Path | None = None
) -> tuple[Manifest, Counter]:
    """Score ``rec``'s headlines and write the recording (in place, or to ``out``).

    Returns
    -------
    tuple of Manifest and Counter
        The new manifest and the processor's counters (received, duplicates, unlinked, links, rejected).
    """
    recording = open_recording(rec)
    manifest = recording.manifest
    instruments = {
        spec.instrument_id.split(".", 1)[0].upper(): spec.instrument_id for spec in manifest.instruments
    }
    processor = build_processor(config, instruments)
    kept = []
    raw: list[NewsRaw] = []
    for topic in recording.topics:
        if topic == "news.scored":
            continue
        for record in recording.iter_topic(topic):
            kept.append(record)
            if topic == "news.raw" and isinstance(record.payload, NewsRaw):
                raw.append(record.payload)
    raw.sort(key=lambda item: item.ts_event)
    counts: Counter = Counter()
    for start in range(0, len(raw), config.batch_size * 16):
        result = processor.process(raw[start : start + config.batch_size * 16])
        counts.update(result.counts)
        kept.extend(to_record(item) for item in result.scored)
        counts["published"] += len(result.scored)
    new_manifest = write_recording(
        out or rec,
        kept,
        source=manifest.source,
        synthetic=manifest.synthetic,
        instruments=manifest.instruments,
        rejects=manifest.rejects,
        notes=(manifest.notes + " | " if manifest.notes else "") + f"news.scored by {processor.scorer.name}",
        overwrite=True,
    )
    return new_manifest, counts
