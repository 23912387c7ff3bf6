"""The supervisor's per-step reads (mode, halted, trading_state, day_pnl, flatten_pending) are plain
attributes set with each new state: after every kind of change they equal what the state itself says, and
the quiet mark that now runs before the NAV's checks still refuses an NAV that is not a finite positive
number."""

from __future__ import annotations

import math
import random

import pytest

from engine.config import RiskConfig
from engine.errors import RiskInputError
from engine.risk.supervisor import RiskSupervisor
from engine.state import MemoryStateStore

DAY = 86_400 * 10**9
T0 = 19_420 * DAY


def _expected(sup: RiskSupervisor) -> tuple:
    s = sup.state
    halted = s.halted
    return (
        "demo" if s.in_demo else s.configured_mode,
        halted,
        "HALTED" if halted else "ACTIVE",
        s.last_nav / s.sod_nav - 1.0 if s.sod_nav > 0 else 0.0,
        halted and (s.last_flatten is None or s.last_flatten.ts < s.halted_ts),
    )


def _reads(sup: RiskSupervisor) -> tuple:
    return (sup.mode, sup.halted, sup.trading_state, sup.day_pnl, sup.flatten_pending)


def test_reads_follow_every_state_change():
    rng = random.Random(7)
    store = MemoryStateStore()
    sup = RiskSupervisor(RiskConfig(), "full", store=store)
    assert _reads(sup) == _expected(sup)
    ts, nav = T0, 100_000.0
    seen = set()
    for step in range(6_000):
        ts += rng.choice((60, 60, 3_600, 8 * 3_600)) * 10**9
        if rng.random() < 0.3:
            nav *= 1.0 + rng.gauss(0.0, 0.015)  # big enough moves to fire the kill switch now and then
        sup.mark(ts, nav)
        if sup.flatten_pending and rng.random() < 0.5:
            sup.record_flatten(ts, "kill_switch")
        if step % 997 == 996:
            sup.record_override(ts, by="ops", reason="test")
        if step % 1_499 == 1_498:
            sup.force_demo(ts, by="ops", reason="test")
        if step % 2_003 == 2_002:
            sup.halt(ts, "test halt")
        assert _reads(sup) == _expected(sup), step
        seen.add(_reads(sup)[:3] + (_reads(sup)[4],))
    # a restart reads the same from the stored state
    again = RiskSupervisor(RiskConfig(), "full", store=store)
    assert _reads(again) == _expected(again)
    assert len(seen) >= 4  # demo and full, halted or not, a flatten pending: the walk saw them change


def test_invalid_nav_is_refused_after_a_quiet_mark():
    sup = RiskSupervisor(RiskConfig(), "full")
    sup.mark(T0 + 60 * 10**9, 100_000.0)
    sup.mark(T0 + 120 * 10**9, 100_000.0)  # the same NAV: the quiet path is armed
    for bad in (math.nan, math.inf, 0.0, -1.0, "abc", None):
        with pytest.raises(RiskInputError):
            sup.mark(T0 + 180 * 10**9, bad)
