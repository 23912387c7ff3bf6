"""A mark that repeats the last NAV takes a shortcut; it must return and store exactly what the full mark
does, through day rolls, kills, a failing store, overrides and the interval write."""

from __future__ import annotations

import random

from engine.config import RiskConfig
from engine.errors import StateStoreUnavailableError
from engine.risk.supervisor import RiskSupervisor
from engine.state import MemoryStateStore

DAY = 86_400 * 10**9
T0 = 19_420 * DAY
INTERVAL = 3_600 * 10**9


class FullPath(RiskSupervisor):
    """The supervisor without the shortcut."""

    def _mark_unchanged(self, ts, today, nav):
        return None


class FlakyStore(MemoryStateStore):
    """A memory store whose writes fail while ``down`` is set."""

    down = False

    def put(self, key, value):
        if self.down:
            raise StateStoreUnavailableError("down")
        super().put(key, value)

    def compare_and_set(self, key, expected, value):
        if self.down:
            raise StateStoreUnavailableError("down")
        return super().compare_and_set(key, expected, value)


def test_repeated_marks_equal_the_full_path():
    rng = random.Random(5)
    stores = FlakyStore(), FlakyStore()
    fast = RiskSupervisor(RiskConfig(), "full", store=stores[0], mark_persist_interval_ns=INTERVAL)
    full = FullPath(RiskConfig(), "full", store=stores[1], mark_persist_interval_ns=INTERVAL)
    ts, nav, shortcuts = T0, 100_000.0, 0
    for step in range(20_000):
        ts += rng.choice((60, 60, 60, 3_600, 8 * 3_600)) * 10**9
        if rng.random() < 0.2:  # a position moves the NAV; most steps repeat it (a flat book)
            nav *= 1.0 + rng.gauss(0.0, 0.012)
        down = 2_000 <= step % 5_000 < 2_100
        for store in stores:
            store.down = down
        if step % 3_001 == 3_000:
            for s in (fast, full):
                s.record_override(ts, by="ops", reason="test")
        before = fast._state
        a, b = fast.mark(ts, nav), full.mark(ts, nav)
        shortcuts += fast._state is before  # the full path always builds a new state
        assert a == b, step
        assert fast._state == full._state, step
        assert stores[0].get("risk") == stores[1].get("risk"), step
        if a.flatten:
            for s in (fast, full):
                s.record_flatten(ts, "kill_switch")
    assert shortcuts > 5_000
    assert fast._state.activations > 0


def test_a_repeated_quiet_mark_reuses_its_update_and_still_writes_at_the_interval():
    stores = MemoryStateStore(), MemoryStateStore()
    fast = RiskSupervisor(RiskConfig(), "full", store=stores[0], mark_persist_interval_ns=INTERVAL)
    full = FullPath(RiskConfig(), "full", store=stores[1], mark_persist_interval_ns=INTERVAL)
    ts, reused, writes = T0 + INTERVAL, 0, 0  # T0 is midnight: its day ends at the next mark
    for s in (fast, full):
        s.mark(ts, 100_000.0)
    ts += 60 * 10**9
    for s in (fast, full):
        s.mark(ts, 100_500.0)  # a new NAV alone: written only once the interval passed
    previous = None
    for _ in range(200):  # 200 minutes of a flat book at that NAV: the interval write falls due once
        ts += 60 * 10**9
        raw = stores[0].get("risk")
        a, b = fast.mark(ts, 100_500.0), full.mark(ts, 100_500.0)
        assert a == b
        assert stores[0].get("risk") == stores[1].get("risk")
        writes += stores[0].get("risk") != raw
        reused += a is previous
        previous = a
    assert writes == 1 and reused >= 190
    assert fast._state == full._state
