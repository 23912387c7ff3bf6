"""Add topics to an existing recording (news onto bars): one recording from several kinds of data.

The recording is verified first, rewritten with its old records plus the new ones into a sibling
temporary directory, and swapped into place, so a failure leaves the old recording untouched. The new
manifest lists the union of the instrument specs and carries a new content hash.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from pathlib import Path

from adapters.errors import RecordingError
from adapters.recorded.files import REJECTS_FILE, RecordingWriter, open_recording, to_record
from schemas.market import NewsRaw
from schemas.recording import InstrumentSpec, Manifest, Payload


def extend_recording(
    path: Path,
    payloads: Iterable[Payload],
    *,
    instruments: Iterable[InstrumentSpec],
    source: str,
    notes: str,
    rejects: int,
    replace_specs: bool = False,
) -> Manifest:
    """Add ``payloads`` (of topics the recording does not have yet) to the recording at ``path``.

    Parameters
    ----------
    path
        An existing recording directory.
    payloads
        The new records' payloads.
    instruments
        Specs of new instruments; one with the id of an existing instrument must be identical to it.
    source, notes
        Appended to the manifest's ``source`` (``+``) and ``notes`` (``; ``).
    rejects
        Rows the new import refused; added to the manifest's count.
    replace_specs
        New specs replace existing ones of the same id (bars built from quotes set ``bar_interval_s``).

    Returns
    -------
    Manifest
        The new manifest.

    Raises
    ------
    RecordingError
        ``path`` is not a valid recording, a new topic is already recorded, or a spec conflicts.
    """
    recording = open_recording(path)
    old = recording.verify()
    records = [to_record(p) for p in payloads]
    clash = sorted({r.topic for r in records} & set(recording.topics))
    if clash:
        raise RecordingError(
            f"the recording already has {', '.join(clash)}; --add only adds new topics "
            "(use --force to replace the whole recording)",
            path=path,
        )
    specs = {s.instrument_id: s for s in old.instruments}
    for spec in instruments:
        known = specs.setdefault(spec.instrument_id, spec)
        if replace_specs:
            specs[spec.instrument_id] = spec
        elif known != spec:
            raise RecordingError(
                f"instrument {spec.instrument_id} differs from the recording's spec", path=path
            )
    unmatched = sum(
        1 for r in records if isinstance(r.payload, NewsRaw) and not set(r.payload.instruments) & specs.keys()
    )
    if unmatched:
        notes += f"; {unmatched} news items name no instrument of the recording"
    tmp = path.with_name(f".{path.name}.extend-tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    writer = RecordingWriter(
        tmp,
        source=f"{old.source}+{source}",
        synthetic=old.synthetic,
        instruments=sorted(specs.values(), key=lambda s: s.instrument_id),
        notes="; ".join(n for n in (old.notes, notes) if n),
    )
    writer.rejects = old.rejects + rejects
    for topic in recording.topics:
        for record in recording.iter_topic(topic):
            writer.add_record(record)
    for record in records:
        writer.add_record(record)
    manifest = writer.close()
    if (path / REJECTS_FILE).is_file():
        shutil.copyfile(path / REJECTS_FILE, tmp / REJECTS_FILE)
    _swap(tmp, path)
    return manifest


def _swap(new: Path, target: Path) -> None:
    old = target.with_name(f".{target.name}.extend-old")
    shutil.rmtree(old, ignore_errors=True)
    try:
        os.replace(target, old)
        os.replace(new, target)
    except OSError as e:
        raise RecordingError(f"cannot move the extended recording into place: {e}", path=target) from e
    shutil.rmtree(old, ignore_errors=True)
