"""The publisher against a real broker: every output topic's messages arrive in order, keyed as
``message_key`` says, equal after decoding; non-topic channels go to the local sink; a wrong type fails in
the caller (never on the wire)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.kafka import KafkaPublisher, KafkaPublisherConfig
from adapters.kafka.admin import ensure_topics
from schemas import codec
from schemas.errors import SchemaUsageError
from schemas.topics import message_key, value_type

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "schemas"))
from wire_strategies import strategy_for  # noqa: E402

OUTPUTS = ("signals", "orders", "fills", "risk", "alerts", "escalations", "dlq.control")


class ListSink:
    def __init__(self) -> None:
        self.items: list = []

    def emit(self, channel, message) -> None:
        self.items.append((channel, message))


async def read(bootstrap: str, topic: str, n: int) -> list:
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest"
    )
    await consumer.start()
    out: list = []
    try:
        async with asyncio.timeout(20):
            while len(out) < n:
                for records in (await consumer.getmany(timeout_ms=200)).values():
                    out.extend(records)
    finally:
        await consumer.stop()
    return out


@settings(max_examples=2, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_outputs_arrive_keyed_and_equal(kafka_bootstrap, data):
    messages = {t: data.draw(st.lists(strategy_for(value_type(t)), min_size=1, max_size=4)) for t in OUTPUTS}
    prefix = f"pub{data.draw(st.integers(0, 10**9))}."
    asyncio.run(_publish_and_check(kafka_bootstrap, prefix, messages))


async def _publish_and_check(bootstrap: str, prefix: str, messages: dict) -> None:
    await ensure_topics(bootstrap, [prefix + t for t in OUTPUTS])
    local = ListSink()
    publisher = KafkaPublisher(
        KafkaPublisherConfig(bootstrap_servers=bootstrap, topic_prefix=prefix, enable_idempotence=False),
        local=local,
    )
    await publisher.start()
    try:
        for topic, items in messages.items():
            for item in items:
                publisher.emit(topic, item)
        publisher.emit("trades", {"trade_id": "t1"})
        await publisher.flush()
    finally:
        await publisher.stop()
    assert local.items == [("trades", {"trade_id": "t1"})] and publisher.local_only == {"trades": 1}
    for topic, items in messages.items():
        records = await read(bootstrap, prefix + topic, len(items))
        assert [codec.decode(topic, r.value) for r in records] == items
        assert [r.key.decode() for r in records] == [message_key(topic, m) for m in items]
        assert publisher.published[prefix + topic] == len(items)


async def test_a_wrong_type_fails_in_the_caller(kafka_bootstrap, topic_prefix):
    publisher = KafkaPublisher(
        KafkaPublisherConfig(
            bootstrap_servers=kafka_bootstrap, topic_prefix=topic_prefix, enable_idempotence=False
        )
    )
    await publisher.start()
    try:
        with pytest.raises(SchemaUsageError):
            publisher.emit("orders", {"not": "an order"})
    finally:
        await publisher.stop()
