"""Stateful property test of the risk supervisor: random marks, day jumps, overrides, approvals, restarts.

A small quarantine config (2 kill days in 4 trading days → 3 demo days) makes quarantines frequent.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from engine.config import KillSwitchConfig, RiskConfig
from engine.metrics import utc_day
from engine.risk.notices import day_string
from engine.risk.state import decode_risk_state
from engine.risk.supervisor import RiskSupervisor
from engine.risk.updates import kill_threshold_crossed
from engine.state import MemoryStateStore
from schemas.escalation import LiveChanges, SanityJudgeResponse, StopMultipliers
from schemas.risk import QuarantineChanged

H = 3_600 * 1_000_000_000
DAY = 24 * H
KILL = KillSwitchConfig(
    daily_loss_pct=2.5, quarantine_kill_days=2, quarantine_window_days=4, quarantine_demo_days=3
)
CFG = RiskConfig(kill_switch=KILL)
CONFIGURED = "limited"
moves = st.floats(min_value=-0.03, max_value=0.03, allow_nan=False, allow_infinity=False)


def _judge(stay_demo: bool) -> SanityJudgeResponse:
    changes = LiveChanges(max_position_pct=0.015, stop_multipliers=StopMultipliers(atr=1.8, trailing=1.2))
    return SanityJudgeResponse(stay_demo=stay_demo, live_changes=changes)


class RiskSupervisorMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.store = MemoryStateStore()
        self.sup = RiskSupervisor(CFG, CONFIGURED, store=self.store)
        self.ts = 20_000 * DAY + H
        self.nav = 100_000.0
        self.days: list[str] = []  # reference model: trading days seen
        self.flatten_days: list[str] = []
        self.call_ids = itertools.count()
        self.used_ids: list[str] = []
        self.quarantine_left = 0  # reference model of quarantine_remaining

    # --- rules ------------------------------------------------------------------------------------

    @rule(hours=st.integers(min_value=0, max_value=8), move=moves, flatten_done=st.booleans())
    def mark_same_or_next_hours(self, hours: int, move: float, flatten_done: bool) -> None:
        self._mark(self.ts + hours * H, move, flatten_done)

    @rule(skip=st.integers(min_value=0, max_value=3), move=moves, flatten_done=st.booleans())
    def mark_next_day(self, skip: int, move: float, flatten_done: bool) -> None:
        self._mark((utc_day(self.ts) + 1 + skip) * DAY + H, move, flatten_done)

    @rule()
    def override(self) -> None:
        before = self.sup.state
        self.sup.record_override(self.ts, by="operator", reason="property test")
        after = self.sup.state
        assert after.quarantine_today == before.quarantine_today  # never lifts quarantine
        assert after.quarantine_remaining == before.quarantine_remaining
        assert after.halted == before.halted  # never un-halts
        if before.quarantine_today:
            assert self.sup.mode == "demo"

    @rule(stay_demo=st.booleans(), redeliver=st.booleans())
    def sanity_judge(self, stay_demo: bool, redeliver: bool) -> None:
        call_id = self.used_ids[-1] if redeliver and self.used_ids else f"call-{next(self.call_ids)}"
        duplicate = call_id in self.used_ids
        before, mode_before = self.sup.state, self.sup.mode
        update = self.sup.record_sanity_judge(self.ts, _judge(stay_demo), call_id=call_id)
        after = self.sup.state
        if duplicate:
            assert after == before and update.events == ()
            return
        self.used_ids.append(call_id)
        assert after.approvals[-1].call_id == call_id
        assert after.halted == before.halted
        if stay_demo:
            assert self.sup.mode == mode_before and after.quarantine_active == before.quarantine_active
        else:
            assert self.sup.mode == CONFIGURED and not after.quarantine_active and not after.demo_pending
            if before.quarantine_active:
                event("quarantine cleared by SANITY_JUDGE")
            self.quarantine_left = 0
            cleared = [e for e in update.events if isinstance(e, QuarantineChanged)]
            assert len(cleared) == (1 if before.quarantine_active else 0)

    @rule()
    def restart(self) -> None:
        self.store = self.store.reopen()
        rebuilt = RiskSupervisor(CFG, CONFIGURED, store=self.store)
        assert rebuilt.state == self.sup.state
        assert (rebuilt.mode, rebuilt.trading_state, rebuilt.day_pnl) == (
            self.sup.mode,
            self.sup.trading_state,
            self.sup.day_pnl,
        )
        self.sup = rebuilt

    def _mark(self, ts: int, move: float, flatten_done: bool) -> None:
        self.ts = ts
        self.nav = max(1.0, self.nav * (1.0 + move))
        before = self.sup.state
        day = day_string(utc_day(ts))
        new_day = day != before.day
        halted_before = before.halted and not new_day
        quarantine_before_kill = before.quarantine_remaining > 0 if new_day else before.quarantine_active
        if new_day:
            self.days.append(day)
            self.quarantine_left = max(0, self.quarantine_left - 1)

        update = self.sup.mark(ts, self.nav)
        state = self.sup.state

        sod = before.last_nav if new_day and before.day else (self.nav if new_day else before.sod_nav)
        assert state.sod_nav == sod
        assert update.day_pnl == pytest.approx(self.nav / sod - 1.0, rel=1e-12, abs=1e-15)
        crossed = kill_threshold_crossed(update.day_pnl, KILL.daily_loss_pct)
        assert update.flatten == (crossed and not halted_before)  # exactly on the first crossing
        if update.day_pnl <= -KILL.daily_loss_pct / 100.0:
            assert self.sup.halted and state.halted_day == day
        if new_day:
            if before.quarantine_remaining > 0:
                event("quarantine day")
                assert self.sup.mode == "demo" and state.quarantine_days[-1] == day
            if before.demo_pending and not before.demo_override:
                assert self.sup.mode == "demo" and state.demo_days[-1] == day
            if before.quarantine_remaining == 0 and not (before.demo_pending and not before.demo_override):
                assert self.sup.mode == CONFIGURED
        if update.flatten:
            self.flatten_days.append(day)
            window = set(self.days[-KILL.quarantine_window_days :])
            kills = [d for d in self.flatten_days if d in window]
            activated = [e for e in update.events if isinstance(e, QuarantineChanged) and e.active]
            if not quarantine_before_kill and len(kills) >= KILL.quarantine_kill_days:
                event("quarantine activated")
                self.quarantine_left = KILL.quarantine_demo_days
                assert state.quarantine_remaining == KILL.quarantine_demo_days and len(activated) == 1
                assert activated[0].kill_switch_days == tuple(kills)
            else:
                assert activated == []
            if flatten_done:
                self.sup.record_flatten(ts, "kill_switch")
        else:
            assert not any(isinstance(e, QuarantineChanged) and e.active for e in update.events)

    # --- invariants -------------------------------------------------------------------------------

    @invariant()
    def at_most_one_activation_per_day(self) -> None:
        s = self.sup.state
        assert s.activations == len(s.kill_days) == len(set(s.kill_days))
        assert list(s.kill_days) == sorted(s.kill_days) == self.flatten_days

    @invariant()
    def halted_only_on_the_kill_day(self) -> None:
        s = self.sup.state
        if self.sup.halted:
            assert s.kill_days[-1] == s.day == s.halted_day
            assert self.sup.trading_state == "HALTED"

    @invariant()
    def demo_exactly_when_forced(self) -> None:
        s = self.sup.state
        assert (self.sup.mode == "demo") == (s.post_kill_demo or s.quarantine_today)
        assert 0 <= s.quarantine_remaining <= KILL.quarantine_demo_days
        assert len(s.trading_days) <= KILL.quarantine_window_days
        assert set(s.quarantine_days) <= set(s.demo_days)
        assert s.quarantine_remaining == self.quarantine_left

    @invariant()
    def store_holds_the_state(self) -> None:
        assert decode_risk_state(self.store.get("risk")) == self.sup.state

    @invariant()
    def day_pnl_low_is_a_lower_bound(self) -> None:
        if self.sup.state.day:
            assert self.sup.state.day_pnl_low <= self.sup.day_pnl + 1e-15


RiskSupervisorMachine.TestCase.settings = settings(
    max_examples=150, stateful_step_count=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
TestRiskSupervisorMachine = RiskSupervisorMachine.TestCase
