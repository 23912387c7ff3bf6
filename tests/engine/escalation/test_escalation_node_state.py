"""The node-state tracker builds the triggers' inputs from equity rows, trades and scored decisions."""

from __future__ import annotations

import numpy as np
import pytest

from engine.config import AureusConfig
from engine.escalation.node_state import NodeStateTracker
from engine.escalation.triggers import TriggerEvaluator
from engine.metrics import sharpe_daily
from schemas.tradelog import TradeLogEntry

DAY = 86_400 * 10**9
T0 = 19_420 * DAY  # 2023-03-03


def test_drawdown_sharpe_trades_and_buckets():
    tracker = NodeStateTracker()
    closes = [100_000.0, 104_000.0, 101_000.0, 99_000.0, 97_000.0, 95_500.0, 96_000.0]
    for i, nav in enumerate(closes):
        tracker.on_equity(T0 + i * DAY + 3_600 * 10**9, nav, 0.0, {"core": 0.5})
    trade = TradeLogEntry(
        timestamp="2023-03-09T01:00:00Z",
        mode="demo",
        symbol="BTCUSDT",
        direction="SELL",
        size_pre=0.5,
        size_post_risk=0.4,
        entry_price=1.0,
        reason_tags=(),
        realized_pnl=-960.0,
    )
    tracker.on_trade(T0 + 6 * DAY + 2, trade, "core")
    state = tracker.snapshot(T0 + 6 * DAY + 3)
    # peak of the last 5 days (days 2..6) is 101k; the first 104k is older
    assert state.drawdown_5d == pytest.approx(1 - 96_000 / 101_000)
    expected = sharpe_daily(np.diff(closes) / np.array(closes[:-1]))
    assert state.rolling_sharpe == pytest.approx(expected)
    assert state.recent_trades[0].pnl == pytest.approx(-0.01) and state.recent_trades[0].action == "SELL"
    assert state.pnl_decomposition.core == pytest.approx(-0.01) and state.bucket_usage.core == 0.5
    assert state.turnover.daily_turnover == pytest.approx(0.8)
    fired = TriggerEvaluator(AureusConfig().escalation).fired(state)
    assert fired == ["model_decay"]  # 5-day drawdown 4.95 % < 8 % does not fire; Sharpe < 0.6 does


def test_accuracy_decay_against_the_trailing_baseline():
    tracker = NodeStateTracker(accuracy_window=100)
    for i in range(300):
        tracker.on_scored_decision(i % 100 < 60)  # 60 % hit rate
    steady = tracker.snapshot(T0)
    assert steady.ensemble_accuracy == pytest.approx(0.6) and steady.baseline_accuracy == pytest.approx(0.6)
    for i in range(100):
        tracker.on_scored_decision(i % 100 < 52)  # drops 8 points
    decayed = tracker.snapshot(T0)
    assert decayed.ensemble_accuracy == pytest.approx(0.52) and decayed.baseline_accuracy == pytest.approx(
        0.6
    )
    assert "model_decay" in TriggerEvaluator(AureusConfig().escalation).fired(decayed)
