"""End to end on real data: a recording of BTCUSDT 1-minute bars -> ``aureus replay --via-kafka`` ->
``aureus run --mode demo`` (a subprocess with Redis and the test broker) -> SIGTERM.

The daemon consumes every bar, reports ready and healthy, commits every offset, keeps the Nautilus cache
and the risk state in Redis, and exits cleanly with a summary. Decisions, orders, fills and alerts are on
their topics, no client order id twice, and the decisions equal the offline replay's decisions.jsonl
record for record.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest
import redis
from aiokafka import AIOKafkaProducer
from daemon_harness import BARS, Daemon, committed, decoded, invoke, summary

from aureus.cli_decisions import first_difference
from schemas import codec
from schemas.control import PolicyUpdate


async def _send(bootstrap: str, topic: str, value: bytes) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=b"policy")
    finally:
        await producer.stop()


@pytest.mark.slow
def test_replay_via_kafka_into_the_demo_daemon(recording, kafka_bootstrap, topic_prefix, tmp_path):
    # the two days' decisions are sells and spot is long only by default: orders need spot shorting on
    daemon = Daemon(
        kafka_bootstrap,
        topic_prefix,
        recording,
        tmp_path / "out",
        f"E2E-{uuid.uuid4().hex[:6]}",
        extra=("shorting.spot=true",),
    )
    try:
        invoke("replay", "--data", str(recording), "--via-kafka", *daemon.sets()[:8])
        daemon.start()
        daemon.wait(lambda: daemon.get("/healthz")[0] == 200, 60, "healthz")
        daemon.wait(lambda: daemon.get("/readyz")[0] == 200, 90, "readyz")
        daemon.wait(lambda: daemon.metric("aureus_events_in_total", topic="md.bars") == BARS, 120, "all bars")
        daemon.wait(
            lambda: daemon.metric("aureus_consumer_lag", topic=topic_prefix + "md.bars", partition="0") == 0,
            30,
            "lag 0",
        )
        update = PolicyUpdate(
            version="op-2",
            ts_event=1,
            source="operator",
            deltas={},
            reason="e2e",
            previous_version="baseline-1",
        )
        asyncio.run(_send(kafka_bootstrap, topic_prefix + "control", codec.encode("control", update)))
        daemon.wait(lambda: daemon.metric("aureus_events_in_total", topic="control") == 1, 30, "control")
        code, out = daemon.stop()
        assert code == 0, daemon.tail()
        result = summary(out)
        assert result["events_in"] == {"md.bars": BARS, "control": 1} and result["dead_letters"] == {}
        assert committed(kafka_bootstrap, daemon.group, topic_prefix + "md.bars") == BARS
        store = redis.Redis.from_url("redis://127.0.0.1:6379/0")
        assert store.exists(f"{topic_prefix}risk")  # the risk state, persisted at stop
        assert any(store.scan_iter(f"trader-{daemon.trader_id}:orders:*"))  # the Nautilus cache

        signals = decoded(kafka_bootstrap, topic_prefix, "signals")
        orders = decoded(kafka_bootstrap, topic_prefix, "orders")
        fills = decoded(kafka_bootstrap, topic_prefix, "fills")
        assert result["published"][topic_prefix + "signals"] == len(signals) > 0
        alerts = decoded(kafka_bootstrap, topic_prefix, "alerts")
        assert orders and fills and any(a.code == "rl_model_missing" for a in alerts)
        # the control record reached the strategy, which made it the policy version in force
        assert any(a.code == "policy_updated" and "op-2" in a.message for a in alerts)
        assert len({o.client_order_id for o in orders}) == len(orders)  # no client order id twice

        run = tmp_path / "RUN"  # the offline replay of the same recording
        invoke(
            "replay",
            "--data",
            str(recording),
            "--out",
            str(run),
            "--no-progress",
            "--set",
            "shorting.spot=true",
        )
        live = tmp_path / "live-decisions.jsonl"
        live.write_bytes(b"".join(codec.encode("signals", s) + b"\n" for s in signals))
        assert first_difference(run / "decisions.jsonl", live) is None
    finally:
        if daemon.process and daemon.process.poll() is None:
            daemon.process.kill()
        daemon.cleanup_redis()
