"""The tracker's per-step shortcuts (kept closes, a five-day peak window, a running hit count, the cheap
``scalars`` state) give exactly what the plain computations give, also when a day is rewound."""

from __future__ import annotations

import copy
import random

import numpy as np

from engine.config import AureusConfig
from engine.escalation.node_state import DRAWDOWN_DAYS, MIN_SCORED, SHARPE_DAYS, NodeStateTracker
from engine.escalation.triggers import TriggerEvaluator
from engine.metrics import sharpe_daily, utc_day

DAY = 86_400 * 10**9
T0 = 19_420 * DAY


def _plain(tracker: NodeStateTracker) -> tuple[float, float | None, float | None]:
    """Drawdown, Sharpe and accuracy computed over the tracker's raw history, as before the shortcuts."""
    day = tracker._day
    peak = max(p for d, p in tracker._day_peak.items() if day - d < DRAWDOWN_DAYS)
    drawdown = max(0.0, 1.0 - tracker.nav / peak) if peak > 0 else 0.0
    days = sorted(tracker._day_close)[-(SHARPE_DAYS + 1) :]
    closes = np.array([tracker._day_close[d] for d in days])
    sharpe = sharpe_daily(closes[1:] / closes[:-1] - 1.0) if len(days) >= 6 else None
    hits = tracker._recent_hits
    accuracy = sum(hits) / len(hits) if len(hits) >= MIN_SCORED else None
    return drawdown, sharpe, accuracy


def test_shortcuts_equal_the_plain_computations():
    rng = random.Random(7)
    tracker = NodeStateTracker()
    ts, nav = T0, 100_000.0
    for step in range(6_000):
        if step % 700 == 699:  # a redelivered row of an earlier day rewinds the tracker's day
            back = ts - rng.randint(1, 4) * DAY
            tracker.on_equity(back, nav * 0.97, -0.01, {"core": 0.1})
        ts += rng.choice((60, 3_600, 6 * 3_600)) * 10**9
        nav *= 1.0 + rng.gauss(0.0, 0.004) * (rng.random() < 0.5)  # a flat book half the time
        tracker.on_equity(ts, nav, rng.uniform(-0.03, 0.01), {"core": rng.random()})
        if rng.random() < 0.3:
            tracker.on_scored_decision(rng.random() < 0.55)
        state = tracker.scalars(ts)
        drawdown, sharpe, accuracy = _plain(tracker)
        assert state.drawdown_5d == drawdown
        assert state.rolling_sharpe == sharpe
        assert state.ensemble_accuracy == accuracy
        full = tracker.snapshot(ts)  # its Sharpe comes from the memo of today's close (scalars made it)
        assert (full.drawdown_5d, full.rolling_sharpe, full.ensemble_accuracy) == (drawdown, sharpe, accuracy)
        inputs = tracker.trigger_inputs()
        assert inputs == (
            drawdown,
            state.daily_pnl,
            state.volatility_zscore,
            state.correlation,
            accuracy,
            state.baseline_accuracy,
            sharpe,
        )
    assert utc_day(ts) - utc_day(T0) > SHARPE_DAYS + 10


def test_due_says_exactly_when_evaluate_returns_a_request():
    cfg = AureusConfig().escalation
    evaluator = TriggerEvaluator(cfg)
    rng = random.Random(3)
    tracker = NodeStateTracker()
    ts, nav, fired = T0, 100_000.0, 0
    for _ in range(3_000):
        ts += 600 * 10**9
        nav *= 1.0 + rng.gauss(0.0, 0.01)
        tracker.on_equity(ts, nav, rng.uniform(-0.04, 0.01), {"core": 0.2})
        tracker.on_market(rng.gauss(0.0, 2.0), rng.uniform(-1.0, 1.0))
        put_call = rng.uniform(0.5, 2.0)
        due = evaluator.due(tracker.scalars(ts, put_call_ratio=put_call))
        # the sink's check, without a NodeState
        assert evaluator.due_among(ts, evaluator.fired_on(*tracker.trigger_inputs(), put_call)) == due
        probe = copy.deepcopy(evaluator)
        requests = probe.evaluate(tracker.snapshot(ts, put_call_ratio=put_call))
        if due:  # evaluate for real only when due, as the sink does
            evaluator = probe
            fired += len(requests)
        assert due == bool(requests)
    assert fired > 10


def test_the_same_usage_dict_passed_again_is_not_copied_and_a_new_one_is():
    tracker = NodeStateTracker()
    usage = {"core": 0.25, "penny": 0.0, "fno": 0.0}
    tracker.on_equity(T0 + 60 * 10**9, 100_000.0, 0.0, usage)
    tracker.on_equity(T0 + 120 * 10**9, 100_000.0, 0.0, usage)
    assert tracker.bucket_usage == usage
    tracker.on_equity(T0 + 180 * 10**9, 100_000.0, 0.0, {"core": 0.5})
    assert tracker.bucket_usage == {"core": 0.5, "penny": 0.0, "fno": 0.0}
