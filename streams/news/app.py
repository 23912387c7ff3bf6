"""The news worker: ``news.raw`` -> :class:`~engine.news.processor.NewsProcessor` -> ``news.scored``.

Restart safety: ``news.scored`` is the record of what was published. Before its first batch the agent
reads back the tail of that topic it needs (``streams.faust_app.read_tail``, by the stamp and source
headers each record carries) and rebuilds the dedup window as of the committed offsets and the window of
published ``(news_id, instrument)`` pairs (``streams/news/published.py``), so inputs redelivered after a
crash (faust commits offsets after processing, at least once) are neither published twice nor lost. Both
windows are bounded by ``news_worker.dedup_window_s`` of event time and ``news_worker.dedup_max_items``.
"""

from __future__ import annotations

import asyncio
import time

import faust
import structlog
from aiokafka import ConsumerRecord

from engine.config import AureusConfig
from schemas.codec import decode, encode
from schemas.errors import SchemaDecodeError
from schemas.market import NewsScored
from streams.faust_app import (
    DeadLetterOutbox,
    TailRead,
    committed_offsets,
    create_base_app,
    group_id,
    read_tail,
    topic,
)
from streams.metrics import NewsState, SourceHealth
from streams.news.build import build_processor
from streams.news.published import (
    STAMP_HEADER,
    Published,
    PublishedWindow,
    headers_for,
    mark_published,
    redeliverable,
    restore,
    source_of,
    stamp_of,
    unpublished,
)

log = structlog.get_logger("aureus.news")
WORKER = "news"


def _decoded(record: ConsumerRecord) -> NewsScored | None:
    try:
        return decode("news.scored", record.value)
    except SchemaDecodeError:
        return None  # not ours to judge: that topic's consumers dead-letter it


def _stamp(record: ConsumerRecord) -> int | None:
    for name, _ in record.headers or ():
        if name == STAMP_HEADER:
            return stamp_of(record.headers, None)
    return stamp_of(record.headers, _decoded(record))


async def read_published(config: AureusConfig) -> tuple[list[Published], dict[int, int | None], TailRead]:
    """The records on ``news.scored`` a restart needs (see ``streams/news/published.py``), with the news
    group's committed ``news.raw`` offsets they were judged against."""
    committed = await committed_offsets(config, group_id(config, WORKER), "news.raw")
    window_ns = int(config.news_worker.dedup_window_s * 1e9)
    records, read = await read_tail(
        config,
        "news.scored",
        _stamp,
        window_ns,
        pinned=lambda record: redeliverable(source_of(record.headers), committed),
        chunk=config.news_worker.restore_chunk,
    )
    out = []
    for record in records:
        item = _decoded(record)
        if item is not None:
            source = source_of(record.headers)
            partition, offset = source if source is not None else (None, None)
            out.append(Published(item, stamp_of(record.headers, item), partition, offset))
    return out, committed, read


def create_app(config: AureusConfig) -> faust.App:
    """Build the news worker app (processor, model session and topics built once, here)."""
    app = create_base_app(WORKER, config)
    processor = build_processor(config.news_worker)
    health = SourceHealth(WORKER)
    raw_topic = topic(app, config, "news.raw")
    scored_topic = topic(app, config, "news.scored")
    published = PublishedWindow(processor.dedup.window_ns, config.news_worker.dedup_max_items)
    state_metrics = NewsState(WORKER)
    dead_letters = DeadLetterOutbox(app, config, WORKER)
    state = {"restored": False}

    async def restore_published() -> None:
        # Declared before the first send: a produce to a topic the broker is still creating is retried by
        # the client, and without an idempotent producer a retry can write the batch twice.
        await scored_topic.maybe_declare()
        await dead_letters.restore(["news.raw"])
        items, committed, read = await read_published(config)
        stats = restore(processor.dedup, published, items, committed)
        state["restored"] = True
        log.info(
            "news_worker_restored",
            topic_records=read.topic_records,
            fetched=read.fetched,
            restored_records=stats.records,
            news_ids=stats.news_ids,
            published_pairs=stats.pairs,
            pinned=stats.pinned,
            committed=committed,
        )

    @app.agent(raw_topic)
    async def score(stream):
        async for events in stream.take_events(config.news_worker.batch_size, within=0.2):
            if not state["restored"]:
                await restore_published()
            started = time.perf_counter()
            batch, origin = [], []
            for event in events:
                try:
                    item = decode("news.raw", event.value)
                except SchemaDecodeError as e:
                    await dead_letters.send(e, event)
                    health.record(source="undecodable", outcome="failure")
                    continue
                batch.append(item)
                origin.append(event)
            result = processor.process(batch)
            index_of = {id(item): i for i, item in enumerate(batch)}
            for raw, why in result.rejected:
                event = origin[index_of[id(raw)]]
                error = SchemaDecodeError(f"news.raw: {why}", topic="news.raw", raw=event.value)
                await dead_letters.send(error, event)
            fresh = unpublished(result, published)
            # Wait for the broker's acks before the offsets may be committed: faust's send only buffers.
            pending = []
            for item, stamp, index in fresh:
                source = origin[index].message
                pending.append(
                    await scored_topic.send(
                        key=item.instrument.encode(),
                        value=encode("news.scored", item),
                        headers=headers_for(stamp, source.partition, source.offset),
                    )
                )
            await asyncio.gather(*pending)
            mark_published(published, fresh, processor.dedup.now)
            for event in events:
                published.release(event.message.partition, event.message.offset)
            health.observe_batch(batch, result, time.perf_counter() - started)
            state_metrics.observe(processor.dedup, published)
            yield len(fresh)

    return app
