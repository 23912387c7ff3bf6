"""The escalation sink's equity step takes a flat book's repeated row and an unchanged per-step check inline
(:meth:`~engine.escalation.sink.EscalationSink.emit_equity`); over random streams of rows, decisions,
closes, put/call data, trades and kill switches it must leave every output, the tracker and the check as
the plain calls (``NodeStateTracker.on_equity``, ``StepCheck.due``) leave them."""

from __future__ import annotations

import math

import msgspec
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from engine.config import AureusConfig
from engine.escalation.sink import EscalationSink
from engine.journal import EquityRow
from engine.sink import EQUITY, TRADES, CollectingSink
from schemas.options import PutCallOpenInterest
from schemas.risk import KillSwitchTriggered
from schemas.signals import EnsembleDecision
from schemas.topics import RISK
from schemas.tradelog import TradeLogEntry
from strategies.outputs import StrategyOutputs

T0 = 1_677_628_800_000_000_000  # 2023-03-01T00:00:00Z
S = 10**9
REF = "A.SIM"


class _PlainStep(EscalationSink):
    """``emit_equity`` as it was before the inlined fast paths: every step calls the tracker and the check."""

    def emit_equity(self, row: EquityRow) -> None:
        self._emit(EQUITY, row)
        ts = row.ts
        self._last_ts = ts
        tracker = self.tracker
        if self._judge_pending is not None:
            trades = tracker.snapshot(ts).recent_trades
            state = msgspec.structs.replace(self._judge_pending, recent_trades=trades)
            self._judge_pending = None
            self._publish(self.triggers.evaluate(state, only=("kill_switch",)))
        last = self._usage_row
        if row.bucket_core_pct != last[0] or row.bucket_penny_pct != last[1] or row.bucket_fno_pct != last[2]:
            columns = self._usage_row = (row.bucket_core_pct, row.bucket_penny_pct, row.bucket_fno_pct)
            self._usage = {"core": columns[0] / 100.0, "penny": columns[1] / 100.0, "fno": columns[2] / 100.0}
        kill = self._kill
        day_pnl = kill.daily_pnl if kill is not None else row.day_pnl_pct / 100.0
        tracker.on_equity(ts, row.nav, day_pnl, self._usage)
        if ts >= self.accuracy.next_due:
            for hit in self.accuracy.score(ts):
                tracker.on_scored_decision(hit)
        put_call = self._put_call_ratio(ts) if self._options_pending or self._put_call else None
        if self.check.due(ts, put_call):
            self._publish(self.triggers.evaluate(tracker.snapshot(ts, put_call_ratio=put_call)))
        if kill is not None:
            self._judge_pending = tracker.snapshot(ts, kill_switch_reason=kill.reason)
            self._kill = None


def _row(ts: int, nav: float, day_pnl_pct: float, core: float) -> EquityRow:
    return EquityRow(
        ts=ts,
        nav=nav,
        day_pnl_pct=day_pnl_pct,
        gross_exposure_pct=core,
        net_exposure_pct=core,
        max_name_exposure_pct=core,
        bucket_core_pct=core,
        bucket_penny_pct=0.0,
        bucket_fno_pct=0.0,
        mode="demo",
        halted=0,
    )


def _decision(ts: int, vol_z: float | None, corr: float | None, action: str) -> EnsembleDecision:
    return EnsembleDecision(
        instrument=REF,
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


def _trade(exit_ts: str) -> TradeLogEntry:
    return TradeLogEntry(
        timestamp="2023-03-01T00:00:00Z",
        mode="demo",
        symbol=REF,
        direction="BUY",
        size_pre=0.5,
        size_post_risk=0.3,
        entry_price=100.0,
        exit_price=99.0,
        reason_tags=(),
        exit_timestamp=exit_ts,
        realized_pnl=-900.0,
    )


_steps = st.sampled_from((60 * S, 60 * S, 60 * S, 3_600 * S, 86_400 * S, 0, -60 * S, -86_400 * S))
_op = st.one_of(
    st.tuples(
        st.just("equity"),
        _steps,
        st.sampled_from((1.0, 1.0, 1.0, 1.0, 0.9, 0.97, 1.02)),
        st.sampled_from((None, None, None, 0.0, -0.0, -1.0, -3.0, 0.5, math.nan)),  # None: unchanged
        st.sampled_from((None, None, None, 0.0, 30.0)),
    ),
    st.tuples(
        st.just("decision"),
        st.sampled_from((None, 0.0, 1.5, 2.5, -3.0, math.inf, math.nan)),
        st.sampled_from((None, 0.9, 0.1, math.nan)),
        st.sampled_from(("HOLD", "HOLD", "BUY", "SELL")),
        st.sampled_from((-1.0, 0.0, 1.0)),  # the close's move
    ),
    st.tuples(st.just("put_call"), st.sampled_from((0.0, 500.0, 1_000.0, 2_500.0))),
    st.tuples(st.just("trade"), st.booleans()),
    st.tuples(st.just("kill")),
)


def _state(sink: EscalationSink) -> str:
    check = {k: v for k, v in vars(sink.check).items() if k not in ("_triggers", "_tracker")}
    tracker = vars(sink.tracker)
    triggers = (sink.triggers.last_fired, sink.triggers.revision)
    return repr((sink.inner.channels, tracker, check, triggers, sink.requests))  # repr: -0.0 and NaN alike


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_op, min_size=1, max_size=200))
@example(  # regime comes to hold between two flat rows: due inline, with nothing to refresh
    [("equity", 60 * S, 1.0, None, None)] * 2
    + [("decision", 2.5, 0.1, "HOLD", 0.0), ("equity", 60 * S, 1.0, None, None)]
)
def test_inlined_equity_step_equals_the_plain_calls(ops):
    config = msgspec.structs.replace(
        AureusConfig().escalation, trigger_window_s=600.0, accuracy_horizon_s=120.0
    )
    sinks = [cls(CollectingSink(), config, {REF: "core"}) for cls in (EscalationSink, _PlainStep)]
    outputs = [StrategyOutputs(sink) for sink in sinks]
    ts, nav, day_pnl_pct, core, close, close_ts = T0, 100_000.0, 0.0, 0.0, 100.0, 0
    for op in ops:
        kind = op[0]
        for sink, out in zip(sinks, outputs, strict=True):
            if kind == "equity":
                step, move, pnl, usage = op[1:]
                row = _row(
                    ts + step,
                    nav * move,
                    day_pnl_pct if pnl is None else pnl,
                    core if usage is None else usage,
                )
                out.equity(row)
            elif kind == "decision":
                vol_z, corr, action, move = op[1:]
                if ts > close_ts:  # closes are non-decreasing per instrument
                    sink.on_close(REF, ts, close + move)
                out.decision(_decision(ts, vol_z, corr, action))
            elif kind == "put_call":
                ratio = PutCallOpenInterest(
                    instrument="SPY", ts_event=ts, put_oi=op[1], call_oi=1_000.0, contracts=2
                )
                sink.on_put_call(ratio)
            elif kind == "trade":
                sink.emit(TRADES, _trade("2023-03-01T00:30:00Z" if op[1] else ""))
            else:
                kill = KillSwitchTriggered(
                    ts_event=ts, reason="halt", daily_pnl=-0.026, threshold=-0.025, trading_day="2023-03-01"
                )
                sink.emit(RISK, kill)
        if kind == "equity":
            ts, nav = row.ts, row.nav
            day_pnl_pct, core = row.day_pnl_pct, row.bucket_core_pct
        elif kind == "decision" and ts > close_ts:
            close, close_ts = close + op[4], ts
        fast, plain = sinks
        assert _state(fast) == _state(plain)
