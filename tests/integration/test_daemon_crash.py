"""Crash harness: kill -9 the demo daemon at random points while a recording streams in, restart it each
time, then let it finish. Afterwards: every offset committed, every bar the offline replay decides is
decided, none twice, no client order id twice on ``orders``, and the risk state is in Redis.

Known to fail today (strict xfail: it reports when it starts passing): bars right after a restart are not
decided until the features warm up again, and a bar of a batch processed but not committed before the
kill is decided twice; both need the strategy's restart reconciliation (strategy branch). In runs here the
final SIGTERM after five kill -9 restarts also ended the process with -15 (no SIGTERM handler installed
at that moment), which a single kill -9 and restart does not reproduce: not yet diagnosed.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter

import pytest
import redis
from daemon_harness import Daemon, committed, decoded, invoke

from adapters.recorded import open_recording
from aureus.paths import REPO_ROOT

KILLS = 5
SPEED = 3000  # recorded seconds per second: 50 one-minute bars/s, under the 100 orders/s submit limit


@pytest.mark.slow
@pytest.mark.xfail(
    strict=True, reason="restart reconciliation (strategy) and an undiagnosed -15 exit: see the docstring"
)
def test_kill_9_at_random_points_loses_and_duplicates_nothing(
    recording, kafka_bootstrap, topic_prefix, tmp_path
):
    rng = random.Random(20230301)
    bars = open_recording(recording).manifest.topics[0].records
    daemon = Daemon(
        kafka_bootstrap, topic_prefix, recording, tmp_path / "out", f"CRASH-{uuid.uuid4().hex[:6]}"
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
        for _ in range(KILLS):
            daemon.start()
            daemon.wait(lambda: daemon.get("/readyz")[0] == 200, 120, "readyz")
            time.sleep(rng.uniform(0.5, 4.0))
            daemon.process.send_signal(signal.SIGKILL)
            daemon.process.wait(timeout=30)
        feeder.wait(timeout=300)
        daemon.start()
        daemon.wait(
            lambda: committed(kafka_bootstrap, daemon.group, topic_prefix + "md.bars") == bars, 300, "all"
        )
        code, _ = daemon.stop()
        assert code == 0, daemon.tail()

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
        assert redis.Redis.from_url("redis://127.0.0.1:6379/0").exists(f"{topic_prefix}risk")
    finally:
        if feeder.poll() is None:
            feeder.kill()
        if daemon.process and daemon.process.poll() is None:
            daemon.process.kill()
        daemon.cleanup_redis()
