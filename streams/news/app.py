"""The news worker: ``news.raw`` -> :class:`~engine.news.processor.NewsProcessor` -> ``news.scored``.

Restart safety: ``news.scored`` is the record of what was published. Before its first batch the agent
reads that topic back and feeds every published item to the deduplicator and to the set of published
news ids, so items redelivered after a crash (faust commits offsets after processing, at least once)
are neither published twice nor lost.
"""

from __future__ import annotations

import asyncio
import time

import faust
import structlog

from engine.config import AureusConfig
from schemas.codec import decode, encode
from schemas.errors import SchemaDecodeError
from schemas.market import NewsScored
from streams.faust_app import DeadLetterOutbox, create_base_app, read_topic, topic
from streams.metrics import SourceHealth
from streams.news.build import build_processor

log = structlog.get_logger("aureus.news")
WORKER = "news"


async def read_published(config: AureusConfig) -> list[NewsScored]:
    """Every item on ``news.scored`` now."""
    items = []
    for raw in await read_topic(config, "news.scored"):
        try:
            items.append(decode("news.scored", raw))
        except SchemaDecodeError:
            continue  # not ours to judge: that topic's consumers dead-letter it
    return items


def create_app(config: AureusConfig) -> faust.App:
    """Build the news worker app (processor, model session and topics built once, here)."""
    app = create_base_app(WORKER, config)
    processor = build_processor(config.news_worker)
    health = SourceHealth(WORKER)
    raw_topic = topic(app, config, "news.raw")
    scored_topic = topic(app, config, "news.scored")
    published: set[str] = set()
    dead_letters = DeadLetterOutbox(app, config, WORKER)
    state = {"restored": False}

    async def restore() -> None:
        # Declared before the first send: a produce to a topic the broker is still creating is retried by
        # the client, and without an idempotent producer a retry can write the batch twice.
        await scored_topic.maybe_declare()
        await dead_letters.restore(["news.raw"])
        items = await read_published(config)
        by_id: dict[str, list[NewsScored]] = {}
        for item in items:
            by_id.setdefault(item.news_id, []).append(item)
        for news_id, group in by_id.items():
            published.add(news_id)
            symbols = [i.instrument for i in group]
            processor.dedup.check(group[0].headline, symbols, group[0].ts_event)
        state["restored"] = True
        log.info("news_worker_restored", published_items=len(items), news_ids=len(published))

    @app.agent(raw_topic)
    async def score(stream):
        async for events in stream.take_events(config.news_worker.batch_size, within=0.2):
            if not state["restored"]:
                await restore()
            started = time.perf_counter()
            batch, origin = [], {}
            for event in events:
                try:
                    item = decode("news.raw", event.value)
                except SchemaDecodeError as e:
                    await dead_letters.send(e, event)
                    health.record(source="undecodable", outcome="failure")
                    continue
                batch.append(item)
                origin[id(item)] = event
            result = processor.process(batch)
            for raw, why in result.rejected:
                error = SchemaDecodeError(f"news.raw: {why}", topic="news.raw", raw=origin[id(raw)].value)
                await dead_letters.send(error, origin[id(raw)])
            fresh = [s for s in result.scored if s.news_id not in published]
            # Wait for the broker's acks before the offsets may be committed: faust's send only buffers.
            pending = [
                await scored_topic.send(key=item.instrument.encode(), value=encode("news.scored", item))
                for item in fresh
            ]
            await asyncio.gather(*pending)
            published.update(s.news_id for s in fresh)
            health.observe_batch(batch, result, time.perf_counter() - started)
            yield len(fresh)

    return app
