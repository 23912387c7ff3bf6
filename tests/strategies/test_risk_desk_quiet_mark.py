"""The risk desk answers a repeated mark from the supervisor's ``quiet_mark`` without calling it: what it
returns, emits and stores must be what the supervisor's full path gives, through day rolls, the interval
write, a kill and an invalid NAV."""

from __future__ import annotations

import math
import random

from engine.config import load_config
from engine.risk.supervisor import RiskSupervisor
from engine.state import MemoryStateStore
from schemas.recording import InstrumentSpec
from strategies.outputs import StrategyOutputs
from strategies.risk_desk import RiskDesk

CFG = load_config()
SPEC = InstrumentSpec(
    instrument_id="BTCUSDT.BINANCE", kind="crypto_spot", base_currency="BTC", quote_currency="USDT",
    price_precision=2, size_precision=6,
)  # fmt: skip
DAY = 86_400 * 10**9
INTERVAL = 3_600 * 10**9


class _NoShortcut(RiskSupervisor):
    def _mark_unchanged(self, ts, today, nav):
        return None


def _desk(store, *, shortcut: bool) -> RiskDesk:
    desk = RiskDesk(
        CFG, {SPEC.instrument_id: SPEC}, StrategyOutputs(), store=store, venue_is_paper=True,
        mark_persist_interval_ns=INTERVAL,
    )  # fmt: skip
    if not shortcut:
        desk.supervisor = _NoShortcut(CFG.risk, CFG.mode, store=store, mark_persist_interval_ns=INTERVAL)
    return desk


def test_quiet_marks_equal_the_full_path():
    rng = random.Random(12)
    stores = MemoryStateStore(), MemoryStateStore()
    fast, full = _desk(stores[0], shortcut=True), _desk(stores[1], shortcut=False)
    ts, nav, reused, previous = 19_420 * DAY, 100_000.0, 0, None
    for step in range(6_000):
        ts += rng.choice((60, 60, 60, 60, 3_600)) * 10**9
        if rng.random() < 0.1:  # a position moves the NAV; most steps repeat it
            nav *= 1.0 + rng.gauss(0.0, 0.015)
        marked = math.nan if step == 4_000 else nav  # once a NAV that cannot be marked
        a, b = fast.mark(ts, marked), full.mark(ts, marked)
        assert a == b, step
        assert stores[0].get("risk") == stores[1].get("risk"), step
        reused += a is previous
        previous = a
    assert reused > 3_000  # the shortcut was taken
    assert fast.supervisor.state.activations > 0  # a kill (the NaN at least) was on the walk
    channels = fast.outputs.sink.channels, full.outputs.sink.channels
    assert channels[0] == channels[1] and channels[0]
