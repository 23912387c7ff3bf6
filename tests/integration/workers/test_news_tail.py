"""A news worker restart reads back only the tail of ``news.scored`` it needs (real broker, tansu)."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from engine.config import AureusConfig, NewsWorkerConfig, WorkersConfig
from schemas.codec import encode
from schemas.market import NewsScored
from streams.faust_app import committed_offsets, read_tail
from streams.news.app import read_published
from streams.news.published import headers_for, redeliverable, source_of, stamp_of

T0 = 1_577_836_800 * 10**9
SECOND = 10**9
N = 3000


def _config(bootstrap: str, prefix: str) -> AureusConfig:
    return AureusConfig(
        workers=WorkersConfig(bootstrap_servers=bootstrap, topic_prefix=prefix),
        news_worker=NewsWorkerConfig(dedup_window_s=500.0),
    )


def _item(i: int) -> NewsScored:
    return NewsScored(
        source="stocknet",
        ts_event=T0 + i * SECOND,
        instrument="AAPL.NASDAQ",
        headline=f"headline {i}",
        sentiment=0.0,
        news_id=f"{i:016x}",
    )


async def _publish(bootstrap: str, topic: str) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        sent = [
            await producer.send(
                topic,
                encode("news.scored", _item(i)),
                key=b"AAPL.NASDAQ",
                partition=0,
                headers=headers_for(T0 + i * SECOND, 0, 10 * i),
            )
            for i in range(N)
        ]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


async def test_read_tail_reads_the_window_or_back_to_the_committed_offset(kafka_bootstrap, topic_prefix):
    config = _config(kafka_bootstrap, topic_prefix)
    await _publish(kafka_bootstrap, topic_prefix + "news.scored")

    def stamp(record):
        return stamp_of(record.headers, None)

    def pinned_from(committed):
        return lambda record: redeliverable(source_of(record.headers), committed)

    records, read = await read_tail(config, "news.scored", stamp, 500 * SECOND, pinned_from({0: 10**9}))
    assert [stamp(r) for r in records] == [T0 + i * SECOND for i in range(N - 501, N)]
    assert read.topic_records == N and read.returned == 501
    assert read.fetched <= 1024 + 100, read  # the last 1,024 (plus what tansu's end offset lags)

    # Inputs from offset 10,000 (item 1,000) on are not committed: their outputs are needed, and the
    # window is that of the newest committed one (item 999), so items 499 and on.
    records, read = await read_tail(config, "news.scored", stamp, 500 * SECOND, pinned_from({0: 10_000}))
    assert read.returned == N - 499 and stamp(records[0]) == T0 + 499 * SECOND
    # Nothing committed yet: every input comes again, every output is needed.
    records, read = await read_tail(config, "news.scored", stamp, 500 * SECOND, pinned_from({0: None}))
    assert read.returned == N == len({r.offset for r in records})


async def test_read_published_uses_the_news_groups_committed_offset(kafka_bootstrap, topic_prefix):
    config = _config(kafka_bootstrap, topic_prefix)
    await _publish(kafka_bootstrap, topic_prefix + "news.scored")
    raw = topic_prefix + "news.raw"
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    await producer.send_and_wait(raw, b"x", partition=0)
    await producer.stop()
    group = f"{topic_prefix}aureus-news"
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign([TopicPartition(raw, 0)])
        await consumer.commit({TopicPartition(raw, 0): 25_000})
    finally:
        await consumer.stop()
    assert (await committed_offsets(config, group, "news.raw"))[0] == 25_000

    items, committed, read = await read_published(config)
    assert committed[0] == 25_000
    # Items from source offset 25,000 (item 2,500) on come from uncommitted inputs; the newest committed
    # one is item 2,499, whose window starts at item 1,999.
    assert [p.item.news_id for p in items] == [f"{i:016x}" for i in range(1999, N)]
    assert all(p.partition == 0 and p.offset == 10 * int(p.item.news_id, 16) for p in items)


async def test_dead_letters_are_read_back_from_the_committed_offset_only(kafka_bootstrap, topic_prefix):
    from schemas.dlq import dead_letter_from
    from schemas.errors import SchemaDecodeError
    from streams.faust_app import DeadLetterOutbox

    config = _config(kafka_bootstrap, topic_prefix)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    try:
        sent = []
        for offset in range(N):
            letter = dead_letter_from(
                SchemaDecodeError("bad", topic="news.raw", raw=b"x"),
                key=b"junk",
                ts_event=T0,
                topic="news.raw",
                partition=0,
                offset=offset,
                consumer="news",
            )
            value = encode("dlq.news.raw", letter)
            sent.append(await producer.send(topic_prefix + "dlq.news.raw", value, partition=0))
        await asyncio.gather(*sent)
    finally:
        await producer.stop()
    outbox = DeadLetterOutbox(None, config, "news")  # the app is only needed to declare topics
    fetched = await outbox._restore_letters("dlq.news.raw", {0: N - 50})
    # The last 50 inputs come again, plus the newest letter of a committed input (the window's edge).
    assert outbox._sent == {("news.raw", 0, offset) for offset in range(N - 51, N)}
    assert fetched <= 1024 + 100, fetched
    nothing_committed = DeadLetterOutbox(None, config, "news")
    await nothing_committed._restore_letters("dlq.news.raw", {0: None})
    assert len(nothing_committed._sent) == N
