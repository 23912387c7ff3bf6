"""The Kafka data client against a real broker (tansu): poison messages on every input topic never crash it,
each bad one lands in its dlq.<topic>, each good one reaches the node, and offsets are committed only after
the node processed the batch."""

from __future__ import annotations

import asyncio

import msgspec
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nautilus_trader.cache.cache import Cache
from nautilus_trader.common.component import LiveClock, MessageBus
from nautilus_trader.model.identifiers import ClientId, TraderId

from adapters.kafka.admin import all_topics, ensure_topics
from adapters.kafka.config import KafkaDataClientConfig
from adapters.kafka.data import KafkaDataClient
from adapters.kafka.parsing import InputDecoder
from aureus.runtime.backtest import bar_type_for
from schemas import codec
from schemas.control import PolicyUpdate
from schemas.errors import SchemaDecodeError
from schemas.market import Bar, NewsScored, Quote, Trade
from schemas.recording import InstrumentSpec

SPEC = InstrumentSpec(
    instrument_id="BTCUSDT.BINANCE",
    kind="crypto_spot",
    base_currency="BTC",
    quote_currency="USDT",
    price_precision=2,
    size_precision=6,
)
INPUTS = ("md.bars", "md.quotes", "md.trades", "news.scored", "control")


def good_message(topic: str, i: int) -> bytes:
    ts = 1_677_628_860_000_000_000 + i * 60_000_000_000
    inst = SPEC.instrument_id
    value = {
        "md.bars": Bar(
            instrument=inst, interval_s=60, ts_event=ts, open=1.0, high=2.0, low=0.5, close=1.5, volume=3.0
        ),
        "md.quotes": Quote(instrument=inst, ts_event=ts, bid=1.0, ask=1.1),
        "md.trades": Trade(instrument=inst, ts_event=ts, price=1.0, size=0.1, trade_id=f"t{i}"),
        "news.scored": NewsScored(source="s", ts_event=ts, instrument=inst, headline="h", sentiment=0.1),
        "control": PolicyUpdate(version=f"v{i}", ts_event=ts, source="operator", deltas={}, reason="r"),
    }[topic]
    return codec.encode(topic, value)


def make_client(bootstrap: str, prefix: str, received: list, *, warmup_records: int = 0) -> KafkaDataClient:
    loop = asyncio.get_running_loop()
    clock = LiveClock()
    msgbus = MessageBus(TraderId("TEST-001"), clock)
    msgbus.register(endpoint="DataEngine.process", handler=received.append)
    config = KafkaDataClientConfig(
        bootstrap_servers=bootstrap,
        topic_prefix=prefix,
        group_id=prefix + "node",
        topics=INPUTS,
        instruments_json=msgspec.json.encode([SPEC]).decode(),
        bar_types=(str(bar_type_for(SPEC)),),
        enable_idempotence=False,
        poll_timeout_ms=50,
        warmup_records=warmup_records,
    )
    client = KafkaDataClient(loop, ClientId("KAFKA"), msgbus, Cache(), clock, config)
    return client


async def read_all(bootstrap: str, topic: str, n: int, timeout_s: float = 20.0) -> list:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest"
    )
    await consumer.start()
    out = []
    try:
        async with asyncio.timeout(timeout_s):
            while len(out) < n:
                for records in (await consumer.getmany(timeout_ms=200)).values():
                    out.extend(records)
    finally:
        await consumer.stop()
    return out


async def wait_for(predicate, timeout_s: float = 30.0) -> None:
    async with asyncio.timeout(timeout_s):
        while not predicate():
            await asyncio.sleep(0.05)


@settings(max_examples=2, deadline=None, suppress_health_check=list(HealthCheck))
@given(garbage=st.lists(st.binary(max_size=80), min_size=3, max_size=8))
def test_poison_messages_go_to_their_dlq_and_good_ones_through(kafka_bootstrap, garbage):
    asyncio.run(_poison(kafka_bootstrap, f"p{abs(hash(tuple(garbage))) % 10**9}.", garbage))


async def _poison(bootstrap: str, prefix: str, garbage: list[bytes]) -> None:
    await ensure_topics(bootstrap, all_topics(prefix))
    oracle = InputDecoder((SPEC,), [str(bar_type_for(SPEC))])
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    good, bad = {t: 0 for t in INPUTS}, {t: [] for t in INPUTS}
    try:
        for topic in INPUTS:
            for i, junk in enumerate(garbage):  # good, garbage, good, garbage, ...
                await producer.send_and_wait(prefix + topic, good_message(topic, i), key=b"k")
                good[topic] += 1
                try:
                    oracle.decode(topic, junk)
                    good[topic] += 1  # random bytes that happen to decode are good messages
                except SchemaDecodeError:
                    bad[topic].append(junk)
                await producer.send_and_wait(prefix + topic, junk, key=f"bad{i}".encode())
    finally:
        await producer.stop()

    received: list = []
    client = make_client(bootstrap, prefix, received)
    await client._connect()
    try:
        total = sum(good.values()) + sum(len(v) for v in bad.values())
        await wait_for(lambda: sum(client.events_in.values()) + sum(client.dead_letters.values()) >= total)
        await client.stop_consuming()
    finally:
        await client._disconnect()

    assert dict(client.events_in) == {t: n for t, n in good.items() if n}
    assert len(received) == sum(good.values())
    for topic in INPUTS:
        letters = await read_all(bootstrap, f"{prefix}dlq.{topic}", len(bad[topic])) if bad[topic] else []
        decoded = [codec.decode(f"dlq.{topic}", r.value) for r in letters]
        assert sorted(d.raw for d in decoded) == sorted(bad[topic])
        assert all(d.topic == topic and d.error and d.offset is not None for d in decoded)


async def test_offsets_are_committed_only_after_the_barrier(kafka_bootstrap, topic_prefix):
    await ensure_topics(kafka_bootstrap, all_topics(topic_prefix))
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    for i in range(5):
        await producer.send_and_wait(topic_prefix + "md.bars", good_message("md.bars", i), key=b"k")
    await producer.stop()

    received: list = []
    release = asyncio.Event()
    seen_at_barrier: list[int] = []

    async def barrier() -> None:
        seen_at_barrier.append(len(received))
        await release.wait()

    client = make_client(kafka_bootstrap, topic_prefix, received)
    client.add_commit_barrier(barrier)
    await client._connect()
    tp = TopicPartition(topic_prefix + "md.bars", 0)
    try:
        await wait_for(lambda: len(received) == 5)
        await asyncio.sleep(0.5)
        assert await client._consumer.committed(tp) is None  # handed over, not yet processed: no commit
        release.set()
        await wait_for(lambda: client.commits >= 1)
        assert await client._consumer.committed(tp) == 5
        assert seen_at_barrier[0] == 5  # the batch was handed over before the barrier ran
    finally:
        release.set()
        await client.stop_consuming()
        await client._disconnect()


async def test_a_restart_replays_the_warm_up_bars_before_the_committed_offset(kafka_bootstrap, topic_prefix):
    await ensure_topics(kafka_bootstrap, all_topics(topic_prefix))
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    for i in range(10):
        await producer.send_and_wait(topic_prefix + "md.bars", good_message("md.bars", i), key=b"k")
    await producer.stop()
    tp = TopicPartition(topic_prefix + "md.bars", 0)

    first: list = []
    client = make_client(kafka_bootstrap, topic_prefix, first, warmup_records=4)
    await client._connect()
    try:
        await wait_for(lambda: client.commits >= 1 and len(first) == 10)
        assert client.warmup_seeks == {}  # nothing committed before: no replay
    finally:
        await client.stop_consuming()
        await client._disconnect()

    again: list = []
    client = make_client(kafka_bootstrap, topic_prefix, again, warmup_records=4)
    await client._connect()
    try:
        await wait_for(lambda: len(again) == 4)
        await asyncio.sleep(0.3)
        assert client.warmup_seeks == {tp: (6, 10)}
        assert [b.ts_event for b in again] == [b.ts_event for b in first[6:]]  # the last 4, once each
        assert await client._consumer.committed(tp) == 10
    finally:
        await client.stop_consuming()
        await client._disconnect()
