"""The escalation sink forwards every output unchanged and adds trigger requests after each portfolio step."""

from __future__ import annotations

import msgspec

from engine.config import AureusConfig
from engine.escalation.sink import EscalationSink
from engine.journal import EquityRow
from engine.sink import EQUITY, TRADES, CollectingSink
from schemas.risk import KillSwitchTriggered
from schemas.topics import ESCALATIONS, RISK, SIGNALS
from schemas.tradelog import TradeLogEntry

T = 1_677_960_000_000_000_000  # 2023-03-04T20:00:00Z
MIN = 60 * 10**9


def row(ts, nav, day_pnl_pct):
    return EquityRow(
        ts=ts,
        nav=nav,
        day_pnl_pct=day_pnl_pct,
        gross_exposure_pct=30.0,
        net_exposure_pct=30.0,
        max_name_exposure_pct=30.0,
        bucket_core_pct=30.0,
        bucket_penny_pct=0.0,
        bucket_fno_pct=0.0,
        mode="demo",
        halted=0,
    )


def test_kill_switch_step_emits_one_sanity_judge_request_from_the_streamed_state():
    inner = CollectingSink()
    sink = EscalationSink(inner, AureusConfig().escalation, {"BTCUSDT.BINANCE": "core"})
    trade = TradeLogEntry(
        timestamp="2023-03-04T19:00:00Z",
        mode="demo",
        symbol="BTCUSDT.BINANCE",
        direction="BUY",
        size_pre=0.5,
        size_post_risk=0.3,
        entry_price=22_000.0,
        exit_price=21_800.0,
        reason_tags=(),
        exit_timestamp="2023-03-04T19:59:00Z",
        realized_pnl=-900.0,
    )
    sink.emit(EQUITY, row(T - MIN, 98_000.0, -2.0))
    sink.emit(TRADES, trade)
    kill = KillSwitchTriggered(
        ts_event=T,
        reason="Daily P&L -2.6% below threshold",
        daily_pnl=-0.026,
        threshold=-0.025,
        trading_day="2023-03-04",
    )
    sink.emit(RISK, kill)
    sink.emit(EQUITY, row(T, 97_400.0, -2.6))
    assert [r.trigger for r in inner.get(ESCALATIONS)] == ["risk"]  # the judge waits for the flatten's trade
    flatten = msgspec.structs.replace(
        trade, timestamp="2023-03-04T19:59:00Z", exit_timestamp="2023-03-04T20:00:00Z", realized_pnl=-100.0
    )
    sink.emit(TRADES, flatten)  # held by the strategy and flushed at the next step
    sink.emit(EQUITY, row(T + MIN, 97_400.0, -2.6))
    sink.emit(EQUITY, row(T + 2 * MIN, 97_400.0, -2.6))  # same day: the window holds both triggers back
    assert inner.get(TRADES) == [trade, flatten] and inner.get(RISK) == [kill] and len(inner.get(EQUITY)) == 4
    requests = inner.get(ESCALATIONS)
    assert [(r.trigger, r.call_type) for r in requests] == [
        ("risk", "REWARD_ENGINEER"),
        ("kill_switch", "SANITY_JUDGE"),
    ]
    judge = requests[1].body
    assert judge.kill_switch_reason == kill.reason and judge.timestamp == "2023-03-04T20:00:00Z"
    assert judge.portfolio_state.net_liquidity == 97_400.0 and judge.portfolio_state.daily_pnl == -0.026
    assert requests[1].ts_event == T and requests[1].request_id == f"kill_switch-{T}"
    assert [(t.symbol, t.action, t.size) for t in judge.recent_trades] == [
        ("BTCUSDT.BINANCE", "BUY", 0.3)
    ] * 2
    assert judge.recent_trades[0].pnl == -900.0 / 98_000.0 and judge.recent_trades[1].pnl == -100.0 / 97_400.0
    assert requests[0].body.pnl_decomposition.core == -900.0 / 98_000.0


def decision(instrument, vol_z, corr, ts=T, action="HOLD"):
    from schemas.signals import EnsembleDecision

    return EnsembleDecision(
        instrument=instrument,
        ts_event=ts,
        p_short=0.5,
        p_mid=0.5,
        ppo_hint=None,
        base=0.5,
        penalties={},
        score=0.5,
        action=action,
        size=0.0,
        reason_tags=(),
        policy_version="baseline-1",
        weights={},
        rl_available=False,
        volatility_zscore=vol_z,
        correlation=corr,
    )


def test_regime_request_carries_the_reference_instruments_vol_z_and_correlation():
    inner = CollectingSink()
    sink = EscalationSink(inner, AureusConfig().escalation, {"A.SIM": "core", "B.SIM": "core"})
    sink.emit(SIGNALS, decision("B.SIM", 5.0, 0.0))  # not the reference (A.SIM sorts first)
    sink.emit(SIGNALS, decision("A.SIM", None, None))  # warming up
    sink.emit(EQUITY, row(T, 100_000.0, 0.0))
    assert inner.get(ESCALATIONS) == []
    sink.emit(SIGNALS, decision("A.SIM", -2.4, 0.31, ts=T + MIN))
    sink.emit(EQUITY, row(T + MIN, 100_000.0, 0.0))
    (req,) = inner.get(ESCALATIONS)
    assert req.trigger == "regime" and req.call_type == "REGIME_AUDITOR"
    state = req.body.portfolio_state
    assert (state.volatility_zscore, state.correlation_breakdown) == (-2.4, 0.31)
    assert req.body.bucket_usage.core == 0.3


def test_decisions_through_emit_decision_equal_those_through_emit():
    """The strategy's outputs hand decisions to ``emit_decision`` (no channel dispatch); the sink must end
    in the same state as when they come through ``emit(SIGNALS, ...)``: forwarded, scored, and the
    reference's market inputs taken."""
    from strategies.outputs import StrategyOutputs

    stream = [
        decision("B.SIM", 5.0, 0.0),
        decision("A.SIM", None, None),
        decision("A.SIM", -2.4, 0.31, ts=T + MIN, action="BUY"),
        decision("B.SIM", 1.0, 0.9, ts=T + MIN, action="SELL"),
        decision("A.SIM", 0.2, 0.8, ts=T + 2 * MIN),
    ]
    sinks = []
    for direct in (False, True):
        inner = CollectingSink()
        sink = EscalationSink(inner, AureusConfig().escalation, {"A.SIM": "core", "B.SIM": "core"})
        outputs = StrategyOutputs(sink)
        assert (outputs.decision == sink.emit_decision) is True
        for d in stream:
            outputs.decision(d) if direct else sink.emit(SIGNALS, d)
        sinks.append(sink)
    via_emit, via_direct = sinks
    assert via_direct.inner.get(SIGNALS) == via_emit.inner.get(SIGNALS) == stream
    assert list(via_direct.accuracy._pending) == list(via_emit.accuracy._pending)
    assert [p[2] for p in via_emit.accuracy._pending] == ["A.SIM", "B.SIM"]  # BUY and SELL, no HOLD
    assert (via_direct.tracker.vol_z, via_direct.tracker.correlation) == (0.2, 0.8)
    assert (via_emit.tracker.vol_z, via_emit.tracker.correlation) == (0.2, 0.8)
    plain = CollectingSink()
    StrategyOutputs(plain).decision(stream[0])  # a sink without emit_decision: emit on signals
    assert plain.get(SIGNALS) == [stream[0]]


class _EmitOnly(CollectingSink):
    """A collecting sink the escalation sink does not append to directly (not exactly CollectingSink)."""


def test_per_step_channels_appended_directly_equal_emit_through_the_inner_sink():
    """Over a :class:`CollectingSink` the escalation sink appends decisions and equity rows to the inner
    sink's lists itself; the channels (their keys, in first-emit order, and their messages) and the
    reference's market inputs must equal those of an inner sink whose ``emit`` does it, non-finite and
    missing inputs included."""
    from strategies.outputs import StrategyOutputs

    nan, inf = float("nan"), float("inf")
    steps = [
        [decision("B.SIM", 5.0, 0.0)],
        [decision("A.SIM", None, None), decision("B.SIM", 1.0, 0.9, action="SELL")],
        [decision("A.SIM", -2.4, 0.31, action="BUY")],  # regime holds: a request at this step
        [decision("A.SIM", nan, inf)],  # ignored: the last finite inputs stay
        [decision("A.SIM", -inf, 0.5, action="SELL")],
        [decision("A.SIM", 0.2, nan)],
    ]
    results = []
    for inner in (_EmitOnly(), CollectingSink()):
        sink = EscalationSink(inner, AureusConfig().escalation, {"A.SIM": "core", "B.SIM": "core"})
        outputs = StrategyOutputs(sink)
        assert inner.channels == {}  # nothing made before the first emit
        market = []
        for i, decisions in enumerate(steps):
            ts = T + i * MIN
            if i == 0:
                outputs.equity(row(ts - MIN, 100_000.0, 0.0))  # equity before any signal
            for d in decisions:
                outputs.decision(msgspec.structs.replace(d, ts_event=ts))
            outputs.equity(row(ts, 100_000.0 - i, -0.1 * i))
            market.append((sink.tracker.vol_z, sink.tracker.correlation))
        results.append((list(inner.channels), inner.channels, market, list(sink.accuracy._pending)))
    plain, direct = results
    assert direct[0] == plain[0] == [EQUITY, SIGNALS, ESCALATIONS]
    assert direct[1] == plain[1]
    assert direct[2] == plain[2]
    assert direct[3] == plain[3]
    assert [m[0] for m in plain[2]] == [0.0, 0.0, -2.4, -2.4, -2.4, 0.2]  # tracker.on_market's values
    assert [m[1] for m in plain[2]] == [1.0, 1.0, 0.31, 0.31, 0.5, 0.5]
