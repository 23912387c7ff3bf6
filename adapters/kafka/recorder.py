"""Record live topics into the recorded-stream format (``aureus record``).

Reads the given topics from the beginning (no consumer group, nothing committed) until no message arrived
for ``idle_timeout_s`` or ``max_records`` were read, and writes them with
:class:`adapters.recorded.RecordingWriter` (sorted, byte-deterministic). A message that does not decode
is written, as a :class:`schemas.dlq.DeadLetter` line, to ``OUT/rejects.jsonl`` and counted in the
manifest's ``rejects``: never silently dropped.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path

import msgspec
from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaError

from adapters.kafka.admin import ensure_topics
from adapters.kafka.errors import KafkaConfigError, KafkaUnavailableError
from adapters.recorded import REJECTS_FILE, RecordingWriter, to_record
from schemas import codec
from schemas.dlq import dead_letter_from
from schemas.errors import SchemaDecodeError
from schemas.recording import InstrumentSpec, Manifest

RECORDABLE = ("md.bars", "md.quotes", "md.trades", "news.raw", "news.scored")
"""Topics whose messages are recording payloads."""


async def record_topics(
    bootstrap: str,
    topics: Iterable[str],
    out: Path,
    *,
    prefix: str = "",
    instruments: tuple[InstrumentSpec, ...] = (),
    idle_timeout_s: float = 5.0,
    max_records: int | None = None,
    overwrite: bool = False,
) -> Manifest:
    """Consume ``topics`` (unprefixed names) and write them as a recording in ``out``.

    Raises
    ------
    KafkaConfigError
        A topic that is not a recording topic.
    KafkaUnavailableError
        The broker cannot be reached.
    """
    names = list(topics)
    bad = [t for t in names if t not in RECORDABLE]
    if bad:
        raise KafkaConfigError(f"cannot record {bad}: recordable topics are {list(RECORDABLE)}")
    await ensure_topics(bootstrap, [prefix + t for t in names])
    consumer = AIOKafkaConsumer(
        *(prefix + t for t in names),
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    writer = RecordingWriter(
        out,
        source=f"kafka:{bootstrap}/{prefix}",
        synthetic=False,
        instruments=instruments,
        overwrite=overwrite,
    )
    rejects: list[bytes] = []
    count = 0
    try:
        await consumer.start()
        last = time.monotonic()
        while max_records is None or count < max_records:
            want = 1000 if max_records is None else min(1000, max_records - count)
            batch = await consumer.getmany(timeout_ms=200, max_records=want)
            if not batch:
                if time.monotonic() - last >= idle_timeout_s:
                    break
                continue
            last = time.monotonic()
            for tp, records in batch.items():
                topic = tp.topic[len(prefix) :]
                for record in records:
                    count += 1
                    try:
                        writer.add_record(to_record(codec.decode(topic, record.value or b"")))
                    except SchemaDecodeError as e:
                        letter = dead_letter_from(
                            e,
                            key=record.key,
                            ts_event=time.time_ns(),
                            topic=topic,
                            partition=record.partition,
                            offset=record.offset,
                            consumer="aureus-record",
                        )
                        rejects.append(msgspec.json.encode(letter))
    except KafkaError as e:
        raise KafkaUnavailableError(f"recording from {bootstrap} failed: {e}") from e
    finally:
        await consumer.stop()
    writer.rejects = len(rejects)
    manifest = writer.close()
    if rejects:
        (Path(out) / REJECTS_FILE).write_bytes(b"\n".join(rejects) + b"\n")
    return manifest
