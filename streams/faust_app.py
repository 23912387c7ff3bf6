"""What every faust worker shares: the app factory, topic names, and dead-lettering.

Values travel as raw bytes and are decoded by :mod:`schemas.codec` inside the agents, so a message that
does not decode reaches our code (and ``dlq.<topic>``) instead of failing inside faust's deserialiser.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import faust
import msgspec
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from engine.config import AureusConfig
from schemas.codec import decode, encode
from schemas.dlq import DeadLetter, dead_letter_from
from schemas.errors import SchemaDecodeError
from schemas.topics import dlq_topic
from streams.metrics import DEAD_LETTERS

DEFAULT_BOOTSTRAP = "127.0.0.1:9092"


def bootstrap_servers(config: AureusConfig) -> str:
    """``workers.bootstrap_servers``, else ``AUREUS_KAFKA_BOOTSTRAP``, else ``kafka.bootstrap_servers``."""
    return (
        config.workers.bootstrap_servers
        or os.environ.get("AUREUS_KAFKA_BOOTSTRAP")
        or config.kafka.bootstrap_servers
        or DEFAULT_BOOTSTRAP
    )


def topic_prefix(config: AureusConfig) -> str:
    """``workers.topic_prefix``, else the node's ``kafka.topic_prefix``."""
    return config.workers.topic_prefix or config.kafka.topic_prefix


def group_id(config: AureusConfig, name: str) -> str:
    """The consumer group of worker ``name``."""
    return f"{topic_prefix(config)}{config.workers.group_prefix}-{name}"


def create_base_app(name: str, config: AureusConfig) -> faust.App:
    """A faust app for worker ``name``: consumer group ``<group_prefix>-<name>``, raw bytes, no web server.

    ``workers.idempotent_producer`` selects faust's ``exactly_once`` guarantee (transactional, idempotent
    producer: Apache Kafka); off, ``at_least_once`` (brokers without InitProducerId, such as tansu), where
    the workers' own keyed deduplication keeps outputs free of repeats.
    """
    w = config.workers
    datadir = Path(w.data_dir) / name
    datadir.parent.mkdir(parents=True, exist_ok=True)
    servers = ",".join(f"kafka://{s.strip()}" for s in bootstrap_servers(config).split(","))
    group = group_id(config, name)
    return faust.App(
        group,
        broker=servers,
        datadir=str(datadir),
        value_serializer="raw",
        key_serializer="raw",
        web_enabled=False,
        store="memory://",
        topic_partitions=1,
        topic_replication_factor=1,
        consumer_auto_offset_reset="earliest",
        processing_guarantee="exactly_once" if w.idempotent_producer else "at_least_once",
        broker_commit_every=w.commit_every,
        broker_commit_interval=w.commit_interval_s,
    )


def topic(app: faust.App, config: AureusConfig, name: str) -> faust.TopicT:
    """The prefixed topic ``name`` as raw bytes."""
    return app.topic(
        topic_prefix(config) + name,
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
    )


class DeadLetterOutbox:
    """Publishes undecodable messages to ``dlq.<topic>`` once each.

    :meth:`restore` reads the dead-letter topics back at start, so a bad message redelivered after a crash
    (its offset was not committed yet) is not dead-lettered a second time: letters are keyed by source
    topic, partition and offset. Only letters of inputs at or past the worker group's committed offsets
    can come again, and they are the last ones on the topic, so only that tail is read back.
    """

    def __init__(self, app: faust.App, config: AureusConfig, worker: str) -> None:
        self.app, self.config, self.worker = app, config, worker
        self._sent: set[tuple[str, int | None, int | None]] = set()

    async def restore(self, sources: list[str]) -> int:
        """Remember the letters on ``dlq.<source>`` whose inputs will be consumed again; returns how many
        dead-letter records were fetched."""
        fetched = 0
        for source in sources:
            dlq = dlq_topic(source)
            await topic(self.app, self.config, dlq).maybe_declare()
            committed = await committed_offsets(self.config, group_id(self.config, self.worker), source)
            fetched += await self._restore_letters(dlq, committed)
        return fetched

    async def _restore_letters(self, dlq: str, committed: dict[int, int | None]) -> int:
        letters: dict[tuple[int, int], DeadLetter | None] = {}

        def letter_of(record: ConsumerRecord) -> DeadLetter | None:
            key = (record.partition, record.offset)
            if key not in letters:
                try:
                    letters[key] = decode(dlq, record.value)
                except SchemaDecodeError:
                    letters[key] = None
            return letters[key]

        def again(record: ConsumerRecord) -> bool:
            letter = letter_of(record)
            if letter is None or letter.partition is None or letter.offset is None:
                return letter is not None  # a letter without a source position is kept, to be safe
            done = committed.get(letter.partition)
            return done is None or letter.offset >= done

        def position(record: ConsumerRecord) -> int | None:
            return record.offset if letter_of(record) is not None else None

        records, read = await read_tail(self.config, dlq, position, 0, pinned=again)
        for record in records:
            letter = letter_of(record)
            if letter is not None:
                self._sent.add((letter.topic, letter.partition, letter.offset))
        return read.fetched

    async def send(self, error: SchemaDecodeError, event) -> DeadLetter | None:
        """Dead-letter ``event`` (waits for the broker's ack); ``None`` when it already was."""
        message = event.message
        source = message.topic.removeprefix(topic_prefix(self.config))
        if (source, message.partition, message.offset) in self._sent:
            return None
        # The broker's timestamp: when it was dead-lettered is bookkeeping, not a decision.
        ts = int((message.timestamp or 0) * 1e9)
        letter = dead_letter_from(
            error,
            key=message.key,
            ts_event=ts,
            topic=source,
            partition=message.partition,
            offset=message.offset,
            consumer=self.worker,
        )
        dlq = dlq_topic(source)
        sent = await topic(self.app, self.config, dlq).send(
            key=letter.key.encode(), value=encode(dlq, letter)
        )
        await sent  # acked before the offset of the bad message may be committed
        self._sent.add((source, message.partition, message.offset))
        DEAD_LETTERS.labels(self.worker, source).inc()
        return letter


async def read_topic(config: AureusConfig, name: str) -> list[bytes]:
    """Every value on the prefixed topic ``name`` now, all partitions from the beginning.

    Workers call it once at start to rebuild what they already published (their output is the record).
    It reads until the broker has nothing more for two polls in a row *and* every partition is past its
    end offset: tansu was seen reporting a high watermark behind records it already served.
    """
    full = topic_prefix(config) + name
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers(config), enable_auto_commit=False)
    await consumer.start()
    values: list[bytes] = []
    try:
        await consumer.topics()  # refreshes metadata
        partitions = [TopicPartition(full, p) for p in sorted(consumer.partitions_for_topic(full) or ())]
        if not partitions:
            return values
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        end = await consumer.end_offsets(partitions)
        idle = 0
        while idle < 2:
            batch = await consumer.getmany(*partitions, timeout_ms=500)
            for records in batch.values():
                values.extend(record.value for record in records)
            caught_up = all([await consumer.position(tp) >= end[tp] for tp in partitions])
            idle = idle + 1 if not batch and caught_up else 0
    finally:
        await consumer.stop()
    return values


class TailRead(msgspec.Struct, frozen=True):
    """What :func:`read_tail` did: records fetched, records returned, records on the topic (end offsets)."""

    fetched: int
    returned: int
    topic_records: int


async def _read_range(
    consumer: AIOKafkaConsumer, tp: TopicPartition, lo: int, hi: int | None, end: int
) -> list[ConsumerRecord]:
    """Records of ``tp`` from ``lo`` up to ``hi`` (``None``: until idle and past ``end``, as read_topic)."""
    consumer.seek(tp, lo)
    out: list[ConsumerRecord] = []
    idle = 0
    while idle < (2 if hi is None else 10):
        batch = await consumer.getmany(tp, timeout_ms=500)
        records = batch.get(tp, [])
        out.extend(r for r in records if hi is None or r.offset < hi)
        position = await consumer.position(tp)
        if hi is not None and position >= hi:
            break
        idle = idle + 1 if not records and (hi is not None or position >= end) else 0
    return out


async def read_tail(
    config: AureusConfig,
    name: str,
    stamp: Callable[[ConsumerRecord], int | None],
    span: int,
    pinned: Callable[[ConsumerRecord], bool] = lambda record: False,
    chunk: int = 1024,
) -> tuple[list[ConsumerRecord], TailRead]:
    """The pinned records of the prefixed topic ``name``, and the others stamped within ``span`` of the
    newest stamp among those others.

    For topics along whose partitions ``stamp`` never decreases and pinned records form a tail (the news
    worker's output): each partition is read backwards from its end in doubling chunks until the oldest
    record read is no longer needed, so a restart reads about what it needs, not the topic. Kafka's
    ``offsets_for_times`` would find the start by record timestamp, but tansu answers it with offset 0
    whatever the time (seen here), and event-time record timestamps would put historical replays under the
    broker's time retention.
    """
    full = topic_prefix(config) + name
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers(config), enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer.topics()
        partitions = [TopicPartition(full, p) for p in sorted(consumer.partitions_for_topic(full) or ())]
        if not partitions:
            return [], TailRead(fetched=0, returned=0, topic_records=0)
        consumer.assign(partitions)
        begin = await consumer.beginning_offsets(partitions)
        end = await consumer.end_offsets(partitions)
        reads: dict[TopicPartition, tuple[int, list[ConsumerRecord]]] = {}
        newest: int | None = None

        def observe(records: list[ConsumerRecord]) -> None:
            nonlocal newest
            for r in records:
                s = stamp(r)
                if s is not None and not pinned(r) and (newest is None or s > newest):
                    newest = s

        def needed(record: ConsumerRecord) -> bool:
            s = stamp(record)
            if s is None:
                return False  # not decodable: its readers dead-letter it, a restore skips it
            return newest is None or pinned(record) or s >= newest - span

        for tp in partitions:
            lo = max(begin[tp], end[tp] - chunk)
            reads[tp] = (lo, await _read_range(consumer, tp, lo, None, end[tp]))
            observe(reads[tp][1])
        fetched, out = 0, []
        for tp in partitions:
            lo, records = reads[tp]
            oldest, size = records, chunk
            while lo > begin[tp] and _first_needed(oldest, stamp, needed):
                hi, size = lo, size * 2
                lo = max(begin[tp], hi - size)
                oldest = await _read_range(consumer, tp, lo, hi, end[tp])
                observe(oldest)
                records = oldest + records
            reads[tp] = (lo, records)
            fetched += len(records)
            if records:  # tansu's end offset can lag records it already served
                end[tp] = max(end[tp], records[-1].offset + 1)
        for tp in partitions:  # the newest stamp is final only now
            records = reads[tp][1]
            out.extend(records[next((i for i, r in enumerate(records) if needed(r)), len(records)) :])
    finally:
        await consumer.stop()
    total = sum(end[tp] - begin[tp] for tp in partitions)
    return out, TailRead(fetched=fetched, returned=len(out), topic_records=total)


async def committed_offsets(config: AureusConfig, group: str, name: str) -> dict[int, int | None]:
    """The consumer group ``group``'s committed offset of each partition of the prefixed topic ``name``."""
    full = topic_prefix(config) + name
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers(config), group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        await consumer.topics()
        partitions = sorted(consumer.partitions_for_topic(full) or ())
        return {p: await consumer.committed(TopicPartition(full, p)) for p in partitions}
    finally:
        await consumer.stop()


def _first_needed(records: list[ConsumerRecord], stamp, needed) -> bool:
    """Whether the oldest decodable record read is still needed, so the tail starts further back."""
    for r in records:
        if stamp(r) is not None:
            return needed(r)
    return bool(records)
