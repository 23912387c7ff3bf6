"""The escalation worker (``aureus worker escalation``): ``escalations`` -> :func:`escalation_step` ->
``control`` / ``alerts`` / ``dlq.escalations``.

Model calls block for seconds, so each step runs in a thread (the event loop keeps heartbeating); one
request at a time per worker, and several workers share the GPT-5 budget and the request log in Redis. The
service (clients, budget, policy store) is built once, with the app. Values travel as raw bytes and are
decoded by the step, so a bad message reaches ``dlq.escalations`` instead of failing inside faust.

The app follows the stream workers' conventions (:mod:`streams.faust_app`): broker
``workers.bootstrap_servers`` / ``AUREUS_KAFKA_BOOTSTRAP`` / ``kafka.bootstrap_servers``, topic prefix
``workers.topic_prefix`` else ``kafka.topic_prefix``, consumer group
``<prefix><workers.group_prefix>-escalation``, ``workers.idempotent_producer`` selecting ``exactly_once``
(Apache Kafka) or ``at_least_once`` (tansu), where the request log keeps redeliveries from calling a
model again.
"""

from __future__ import annotations

import asyncio

import faust

from adapters.llm.factories import redis_url
from adapters.llm.requests_log import RedisRequestLog
from engine.config import AureusConfig
from schemas.topics import ESCALATIONS
from streams.escalation.service import EscalationService, build_service
from streams.escalation.step import WORKER, escalation_step
from streams.faust_app import create_base_app, topic


def create_app(config: AureusConfig, *, service: EscalationService | None = None) -> faust.App:
    """Build the escalation worker app; ``service`` replaces the configured one (tests)."""
    app = create_base_app(WORKER, config)
    svc = service if service is not None else build_service(config)
    requests_log = RedisRequestLog(redis_url(config), config.store.key_prefix)
    outputs: dict[str, faust.TopicT] = {}

    @app.agent(topic(app, config, ESCALATIONS))
    async def escalate(stream):
        async for event in stream.events():
            ts = int((event.message.timestamp or 0) * 1e9)
            sends = await asyncio.to_thread(
                escalation_step, svc, requests_log, event.key, event.value, ts_received=ts
            )
            # Wait for the broker's acks before the offset may be committed: faust's send only buffers.
            pending = [
                await outputs.setdefault(m.topic, topic(app, config, m.topic)).send(key=m.key, value=m.value)
                for m in sends
            ]
            await asyncio.gather(*pending)
            yield len(sends)

    return app
