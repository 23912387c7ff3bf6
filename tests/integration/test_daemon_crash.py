"""Crash harness: kill -9 the demo daemon at five points while a recording streams in (three at random
times, two right after an order was published, so an entry's bracket is likely resting at the venue),
restart it each time, then let it finish and stop it with SIGTERM. Afterwards: every offset committed, a
clean exit, the last incarnation replayed its warm-up without deciding it again, every bar the offline
replay decides is decided on ``signals``, none twice, no client order id twice on ``orders``, every order
a restarted paper venue restored is one of our stops or take-profits, and the risk state in Redis carries
the decided mark of the last bar.

How a restart keeps that (README, "Restart after a crash"): the data client replays ``restart.warmup_bars``
bars before the committed offset to warm the features; the strategy decides none at or before the decided
mark, which the daemon writes into the risk state after a batch's outputs are acknowledged and before its
offsets are committed, nor at or before the last decision already on ``signals`` (read back on start).
The paper venue's resting orders are restored from the cache (tests/aureus/test_sandbox_restart.py).

A SIGTERM while the daemon is still starting (before its event loop exists) is a clean exit too
(:func:`test_sigterm_during_start_up_is_a_clean_exit`): the harness's final stop once hit that window when
the last killed incarnation had already committed every bar, and the process ended with -15.
"""

from __future__ import annotations

import asyncio
import random
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
import redis
from aiokafka import AIOKafkaConsumer, TopicPartition
from daemon_harness import Daemon, committed, decoded, invoke, summary

from adapters.recorded import open_recording
from aureus.paths import REPO_ROOT
from engine.risk.state import decode_risk_state
from strategies.order_ids import purpose_of

KILLS = 5
SPEED = 3000  # recorded seconds per second: 50 one-minute bars/s, under the 100 orders/s submit limit


@pytest.mark.slow
def test_kill_9_at_random_points_loses_and_duplicates_nothing(
    recording, kafka_bootstrap, topic_prefix, tmp_path
):
    rng = random.Random(20230301)
    bars = open_recording(recording).manifest.topics[0].records
    daemon = Daemon(
        kafka_bootstrap,
        topic_prefix,
        recording,
        tmp_path / "out",
        f"CRASH-{uuid.uuid4().hex[:6]}",
        extra=("shorting.spot=true",),  # the two days' decisions are sells: orders only with shorts
    )
    feeder = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aureus",
            "replay",
            "--data",
            str(recording),
            "--via-kafka",
            "--speed",
            str(SPEED),
            *daemon.sets()[:8],
        ],
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for kill in range(KILLS):
            daemon.start()
            daemon.wait(lambda: daemon.get("/readyz")[0] == 200, 120, "readyz")
            if kill % 2:  # right after an order was published: its bracket's stop is (likely) resting
                _wait_for_a_new_order(kafka_bootstrap, topic_prefix + "orders", timeout_s=30)
            else:
                time.sleep(rng.uniform(0.5, 4.0))
            daemon.process.send_signal(signal.SIGKILL)
            daemon.process.wait(timeout=30)
        feeder.wait(timeout=300)
        daemon.start()
        daemon.wait(lambda: daemon.get("/readyz")[0] == 200, 120, "readyz")
        # the last killed one may have committed every bar: wait until this one has the partition and
        # replays its warm-up (there is always one: something was committed before)
        daemon.wait(lambda: daemon.metric("aureus_events_in_total", topic="md.bars") > 0, 120, "warm-up")
        daemon.wait(
            lambda: committed(kafka_bootstrap, daemon.group, topic_prefix + "md.bars") == bars, 300, "all"
        )
        code, out = daemon.stop()
        assert code == 0, daemon.tail()
        restart = summary(out)["restart"]  # the last incarnation warmed up on bars it did not decide again
        assert len(restart["warmup_replayed"]) == 1, (restart, daemon.tail())
        (replayed,) = restart["warmup_replayed"].values()
        assert 0 < replayed <= restart["bars_replayed_not_decided"], restart

        run = tmp_path / "RUN"
        invoke("replay", "--data", str(recording), "--out", str(run), "--no-progress")
        expected = {
            (d["instrument"], d["ts_event"])
            for d in map(__import__("json").loads, (run / "decisions.jsonl").open())
        }
        signals = decoded(kafka_bootstrap, topic_prefix, "signals")
        decided = Counter((s.instrument, s.ts_event) for s in signals)
        assert expected <= set(decided), f"{len(expected - set(decided))} bars never decided"
        assert [k for k, n in decided.items() if n > 1] == [], "bars decided twice"
        orders = decoded(kafka_bootstrap, topic_prefix, "orders")
        ids = Counter(o.client_order_id for o in orders)
        assert [i for i, n in ids.items() if n > 1] == [], "client order ids sent twice"
        alerts = decoded(kafka_bootstrap, topic_prefix, "alerts")
        restores = [a for a in alerts if getattr(a, "code", "") == "paper_orders_restored"]
        restored = {i for a in restores for i in a.tags}  # resting orders: the bracket legs, not on orders
        assert {purpose_of(i) for i in restored} <= {"stop", "take_profit"}, restored
        print(f"orders: {len(orders)}; restarts restoring resting orders: {len(restores)} ({len(restored)})")
        raw = redis.Redis.from_url("redis://127.0.0.1:6379/0").get(f"{topic_prefix}risk")
        assert raw is not None, "risk state not persisted"
        last_bar = max(ts for _, ts in expected)
        assert decode_risk_state(raw).decided == {i: last_bar for i, _ in expected}
    finally:
        if feeder.poll() is None:
            feeder.kill()
        if daemon.process and daemon.process.poll() is None:
            daemon.process.kill()
        daemon.cleanup_redis()


@pytest.mark.slow
def test_sigterm_during_start_up_is_a_clean_exit(recording, kafka_bootstrap, topic_prefix, tmp_path):
    daemon = Daemon(
        kafka_bootstrap, topic_prefix, recording, tmp_path / "out", f"EARLY-{uuid.uuid4().hex[:6]}"
    )
    try:
        daemon.start()
        daemon.wait(lambda: _catches_sigterm(daemon.process.pid), 60, "a SIGTERM handler")
        assert daemon.get("/readyz")[0] == 0  # still starting (importing Nautilus): no endpoint yet
        code, out = daemon.stop()
        assert code == 0, daemon.tail()
        assert summary(out)["commits"] == 0  # shut down without running the node
    finally:
        if daemon.process and daemon.process.poll() is None:
            daemon.process.kill()
        daemon.cleanup_redis()


def _catches_sigterm(pid: int) -> bool:
    """Whether the process has a handler for SIGTERM (Linux: the SigCgt mask in /proc/PID/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigCgt:"):
            return bool(int(line.split()[1], 16) & (1 << (signal.SIGTERM - 1)))
    return False


def _wait_for_a_new_order(bootstrap: str, topic: str, timeout_s: float) -> bool:
    """Return once ``topic`` (one partition) grows, or False after ``timeout_s``."""

    async def go() -> bool:
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
        await consumer.start()
        tp = TopicPartition(topic, 0)
        try:
            start = (await consumer.end_offsets([tp]))[tp]
            deadline = time.monotonic() + timeout_s
            while time.monotonic() < deadline:
                if (await consumer.end_offsets([tp]))[tp] > start:
                    return True
                await asyncio.sleep(0.005)
            return False
        finally:
            await consumer.stop()

    return asyncio.run(go())
