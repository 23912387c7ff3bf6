"""What every faust worker shares: the app factory, topic names, and dead-lettering.

Values travel as raw bytes and are decoded by :mod:`schemas.codec` inside the agents, so a message that
does not decode reaches our code (and ``dlq.<topic>``) instead of failing inside faust's deserialiser.
"""

from __future__ import annotations

import os
from pathlib import Path

import faust
from aiokafka import AIOKafkaConsumer, TopicPartition

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
    group = f"{topic_prefix(config)}{w.group_prefix}-{name}"
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
        broker_commit_every=100,
        broker_commit_interval=0.5,
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
    topic, partition and offset.
    """

    def __init__(self, app: faust.App, config: AureusConfig, worker: str) -> None:
        self.app, self.config, self.worker = app, config, worker
        self._sent: set[tuple[str, int | None, int | None]] = set()

    async def restore(self, sources: list[str]) -> None:
        """Remember the letters already on ``dlq.<source>`` for each source topic."""
        for source in sources:
            dlq = dlq_topic(source)
            await topic(self.app, self.config, dlq).maybe_declare()
            for raw in await read_topic(self.config, dlq):
                try:
                    letter = decode(dlq, raw)
                except SchemaDecodeError:
                    continue
                self._sent.add((letter.topic, letter.partition, letter.offset))

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
