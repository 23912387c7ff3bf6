"""Publish a recording onto its topics in time order (``aureus replay --via-kafka``).

Records go out in the recording's merged ``ts_event`` order, each encoded with :mod:`schemas.codec` under
the key DESIGN.md prescribes. ``speed=None`` publishes as fast as the broker acknowledges; ``speed=N``
spaces the records so that N seconds of recorded time take one second of wall time.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from pathlib import Path

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from adapters.kafka.admin import ensure_topics
from adapters.kafka.config import KafkaPublisherConfig
from adapters.kafka.data import acks_value
from adapters.kafka.errors import KafkaUnavailableError
from adapters.recorded import open_recording
from schemas import codec
from schemas.topics import dlq_topic


async def publish_recording(
    data: Path, config: KafkaPublisherConfig, *, speed: float | None = None, limit: int | None = None
) -> Counter[str]:
    """Publish every record of the recording ``data``; return the count per (unprefixed) topic.

    Parameters
    ----------
    data : Path
        Recording directory (verified against its manifest first).
    config : KafkaPublisherConfig
        Broker, prefix, producer settings.
    speed : float, optional
        Recorded seconds per wall second; ``None`` for as fast as possible.
    limit : int, optional
        Publish only the first ``limit`` records (in time order).

    Raises
    ------
    KafkaUnavailableError
        The broker cannot be reached or refuses a message after the producer's retries.
    """
    recording = open_recording(data)
    recording.verify()
    prefix = config.topic_prefix
    await ensure_topics(
        config.bootstrap_servers,
        [prefix + t for t in recording.topics] + [prefix + dlq_topic(t) for t in recording.topics],
    )
    producer = AIOKafkaProducer(
        bootstrap_servers=config.bootstrap_servers,
        client_id=config.client_id + "-replay",
        acks=acks_value(config.acks),
        enable_idempotence=config.enable_idempotence,
        linger_ms=config.linger_ms,
    )
    sent: Counter[str] = Counter()
    try:
        await producer.start()
        first_ts: int | None = None
        started = time.monotonic()
        futures = []
        for record in recording.iter_all():
            if limit is not None and sum(sent.values()) >= limit:
                break
            if speed is not None:
                first_ts = record.ts_event if first_ts is None else first_ts
                due = (record.ts_event - first_ts) / 1e9 / speed - (time.monotonic() - started)
                if due > 0:
                    await asyncio.sleep(due)
            value = codec.encode(record.topic, record.payload)
            futures.append(await producer.send(prefix + record.topic, value, key=record.key.encode()))
            sent[record.topic] += 1
            if len(futures) >= 10_000:
                await asyncio.gather(*futures)
                futures.clear()
        await asyncio.gather(*futures)
        await producer.flush()
    except KafkaError as e:
        raise KafkaUnavailableError(f"publishing {data} to {config.bootstrap_servers} failed: {e}") from e
    finally:
        await producer.stop()
    return sent
