"""The escalation worker (``aureus worker escalation``): ``escalations`` -> :func:`escalation_step` ->
``control`` / ``alerts`` / ``dlq.escalations``.

Model calls block for seconds, so each step runs in a thread (the event loop keeps heartbeating); one
request at a time per worker, and several workers share the GPT-5 budget and the request log in Redis. The
service (clients, budget, policy store) is built once, with the app. Values travel as raw bytes and are
decoded by the step, so a bad message reaches ``dlq.escalations`` instead of failing inside faust.

Broker and topic prefix come from ``kafka.*`` (``AUREUS_KAFKA_BOOTSTRAP``), as for the daemon;
``kafka.enable_idempotence`` selects faust's ``exactly_once`` (Apache Kafka) or ``at_least_once`` (brokers
without InitProducerId, such as tansu), where the request log keeps redeliveries from calling a model again.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import faust

from adapters.llm.factories import redis_url
from adapters.llm.requests_log import RedisRequestLog
from engine.config import AureusConfig
from schemas.topics import ESCALATIONS
from streams.escalation.service import EscalationService, build_service
from streams.escalation.step import WORKER, escalation_step


def create_app(
    config: AureusConfig, *, service: EscalationService | None = None, data_dir: str = ".aureus/faust"
) -> faust.App:
    """Build the escalation worker app; ``service`` replaces the configured one (tests)."""
    k = config.kafka
    datadir = Path(data_dir) / WORKER
    datadir.mkdir(parents=True, exist_ok=True)
    servers = ",".join(f"kafka://{s.strip()}" for s in k.bootstrap_servers.split(","))
    app = faust.App(
        f"{k.topic_prefix}aureus-{WORKER}",
        broker=servers,
        datadir=str(datadir),
        value_serializer="raw",
        key_serializer="raw",
        web_enabled=False,
        store="memory://",
        topic_partitions=1,
        topic_replication_factor=1,
        consumer_auto_offset_reset="earliest",
        processing_guarantee="exactly_once" if k.enable_idempotence else "at_least_once",
    )
    svc = service if service is not None else build_service(config)
    requests_log = RedisRequestLog(redis_url(config), config.store.key_prefix)

    def topic(name: str) -> faust.TopicT:
        return app.topic(k.topic_prefix + name, key_type=bytes, value_type=bytes, key_serializer="raw",
                         value_serializer="raw")  # fmt: skip

    outputs: dict[str, faust.TopicT] = {}

    @app.agent(topic(ESCALATIONS))
    async def escalate(stream):
        async for event in stream.events():
            ts = int((event.message.timestamp or 0) * 1e9)
            sends = await asyncio.to_thread(
                escalation_step, svc, requests_log, event.key, event.value, ts_received=ts
            )
            for message in sends:
                out = outputs.setdefault(message.topic, topic(message.topic))
                await out.send(key=message.key, value=message.value)
            yield len(sends)

    return app
