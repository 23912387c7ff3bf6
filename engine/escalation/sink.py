"""Evaluate the escalation triggers in-stream, on what the strategy already reports through its sink.

:class:`EscalationSink` wraps the node's :class:`~engine.sink.EventSink`: every output passes through
unchanged, and the node's running state (:class:`~engine.escalation.node_state.NodeStateTracker`) is fed
from the equity rows, closed trades and kill-switch events on the way. At the end of each portfolio step
(its equity row) the triggers are evaluated and any request is emitted on ``escalations`` through the same
sink, so replay writes it to a file and the daemon publishes it to Kafka, in engine-clock order.

The kill switch's SANITY_JUDGE request is stamped with the kill's step but emitted at the next step: the
trades its flatten closed are reported (flushed) only then, and ``recent_trades`` must include them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import msgspec

from engine.config import EscalationConfig
from engine.escalation.accuracy import DirectionScorer
from engine.escalation.node_state import NodeStateTracker
from engine.escalation.step_check import StepCheck
from engine.escalation.triggers import NodeState, TriggerEvaluator
from engine.journal import EquityRow
from engine.sink import EQUITY, TRADES, CollectingSink, EventSink
from schemas.options import PutCallOpenInterest
from schemas.risk import KillSwitchTriggered
from schemas.signals import EnsembleDecision
from schemas.topics import ESCALATIONS, RISK, SIGNALS
from schemas.tradelog import TradeLogEntry, parse_iso_utc


class EscalationSink:
    """An :class:`~engine.sink.EventSink` that adds escalation requests to the stream it forwards.

    Parameters
    ----------
    inner : EventSink
        Where everything goes (replay's collecting sink, the daemon's Kafka publisher).
    config : EscalationConfig
        Thresholds and trigger window.
    buckets : Mapping[str, str]
        Instrument id to risk bucket (for the P&L decomposition).
    reference : str
        Instrument whose vol z-score and correlation (from its decisions) feed the regime trigger; empty:
        the first instrument id in sorted order.
    """

    def __init__(
        self, inner: EventSink, config: EscalationConfig, buckets: Mapping[str, str], *, reference: str = ""
    ) -> None:
        self.inner = inner
        self._reference = reference or min(buckets, default="")
        self.tracker = NodeStateTracker()
        self.triggers = TriggerEvaluator(config)
        self.accuracy = DirectionScorer(int(config.accuracy_horizon_s * 1e9))
        self._buckets = dict(buckets)
        self._kill: KillSwitchTriggered | None = None
        self._judge_pending: NodeState | None = None
        self._last_ts = 0
        self.requests = 0
        self._options_pending: list[PutCallOpenInterest] = []
        self._emit = inner.emit
        # a CollectingSink (exactly) makes a channel's list on its first emit and never replaces it: after
        # that, appending to the list is its emit; any other sink (the daemon's publisher) gets every emit
        self._collecting = type(inner) is CollectingSink
        self._signals: list[Any] | None = None  # the lists of the two per-step channels, once made
        self._equity: list[Any] | None = None
        self._usage_row = (math.nan, math.nan, math.nan)  # bucket columns of the last row (none yet)
        self._usage: dict[str, float] = {}
        self._put_call: dict[str, float] = {}
        self.check = StepCheck(self.triggers, self.tracker)
        self.on_close = self.accuracy.on_close
        """``on_close(instrument, ts, close)``: a bar's close, for the decisions' direction accuracy (may run
        ahead of the engine clock); the scorer's own method, as the replay calls it per bar."""

    def emit(self, channel: str, message: Any) -> None:
        """Forward ``message``; after an equity row, emit the requests the triggers raise."""
        if channel == EQUITY and isinstance(message, EquityRow):
            self.emit_equity(message)
            return
        if channel == SIGNALS and isinstance(message, EnsembleDecision):  # the other channel of every step
            self.emit_decision(message)
            return
        self._emit(channel, message)
        if channel == RISK and isinstance(message, KillSwitchTriggered):
            self._kill = message
        elif channel == TRADES and isinstance(message, TradeLogEntry):
            ts = parse_iso_utc(message.exit_timestamp) if message.exit_timestamp else self._last_ts
            self.tracker.on_trade(ts, message, self._buckets.get(message.symbol, "core"))

    def on_put_call(self, message: PutCallOpenInterest) -> None:
        """An ``md.options_oi`` message; it counts from the first step at or after its ``ts_event``."""
        self._options_pending.append(message)

    def _put_call_ratio(self, now: int) -> float | None:
        """The highest latest put/call ratio over the underlyings seen up to ``now``."""
        if not self._options_pending and not self._put_call:
            return None
        due = [m for m in self._options_pending if m.ts_event <= now]
        if due:
            self._options_pending = [m for m in self._options_pending if m.ts_event > now]
            for m in sorted(due, key=lambda m: m.ts_event):
                ratio = m.ratio
                if ratio is None:
                    self._put_call.pop(m.instrument, None)
                else:
                    self._put_call[m.instrument] = ratio
        return max(self._put_call.values(), default=None)

    def emit_decision(self, decision: EnsembleDecision) -> None:
        """``emit(SIGNALS, decision)`` without the channel dispatch (the strategy's outputs call it per
        decision): forward it, then feed the direction scorer and, for the reference, the market inputs."""
        signals = self._signals
        if signals is not None:
            signals.append(decision)
        else:
            self._emit(SIGNALS, decision)
            if self._collecting:
                self._signals = self.inner.channels[SIGNALS]
        if decision.action != "HOLD":  # the scorer ignores HOLD
            self.accuracy.on_decision(decision.instrument, decision.ts_event, decision.action)
        if decision.instrument == self._reference:
            self.tracker.on_market(decision.volatility_zscore, decision.correlation)

    def emit_equity(self, row: EquityRow) -> None:
        """``emit(EQUITY, row)`` without the channel dispatch (the strategy's outputs call it per step):
        forward the portfolio step's row, then emit the requests the triggers raise."""
        equity = self._equity
        if equity is not None:
            equity.append(row)
        else:
            self._emit(EQUITY, row)
            if self._collecting:
                self._equity = self.inner.channels[EQUITY]
        ts = row.ts
        self._last_ts = ts
        tracker = self.tracker
        if self._judge_pending is not None:
            trades = tracker.snapshot(ts).recent_trades
            state = msgspec.structs.replace(self._judge_pending, recent_trades=trades)
            self._judge_pending = None
            self._publish(self.triggers.evaluate(state, only=("kill_switch",)))
        # a new dict only when they moved (the tracker skips the same one); sums of absolute values, the
        # columns are never -0.0, so == tells a change (compared one by one: no tuple per step)
        last = self._usage_row
        if row.bucket_core_pct != last[0] or row.bucket_penny_pct != last[1] or row.bucket_fno_pct != last[2]:
            columns = self._usage_row = (row.bucket_core_pct, row.bucket_penny_pct, row.bucket_fno_pct)
            self._usage = {"core": columns[0] / 100.0, "penny": columns[1] / 100.0, "fno": columns[2] / 100.0}
        kill = self._kill
        # the supervisor's own day P&L at a kill (the row's percent, divided by 100, is not bit-equal)
        day_pnl = kill.daily_pnl if kill is not None else row.day_pnl_pct / 100.0
        tracker.on_equity(ts, row.nav, day_pnl, self._usage)
        accuracy = self.accuracy
        if ts >= accuracy.next_due:  # no decision matured on most steps
            for hit in accuracy.score(ts):
                tracker.on_scored_decision(hit)
        put_call = self._put_call_ratio(ts) if self._options_pending or self._put_call else None
        # the full snapshot (bodies' buckets, P&L split, turnover, trades) only when a request will go out
        if self.check.due(ts, put_call):
            state = tracker.snapshot(ts, put_call_ratio=put_call)
            self._publish(self.triggers.evaluate(state))
        if kill is not None:
            self._judge_pending = tracker.snapshot(ts, kill_switch_reason=kill.reason)
            self._kill = None

    def _publish(self, requests) -> None:
        for request in requests:
            self.requests += 1
            self.inner.emit(ESCALATIONS, request)
