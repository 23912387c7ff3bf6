"""The sink's per-step trigger check (:class:`~engine.escalation.step_check.StepCheck`, from kept parts) finds
what ``fired_on`` finds on that step's inputs, through flat stretches, moves and put/call data."""

from __future__ import annotations

import random

from engine.config import AureusConfig
from engine.escalation.sink import EscalationSink
from engine.escalation.triggers import TriggerEvaluator
from engine.journal import EquityRow
from engine.sink import EQUITY, CollectingSink
from schemas.options import PutCallOpenInterest

T = 1_677_960_000_000_000_000  # 2023-03-04T20:00:00Z
MIN = 60 * 10**9


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


def test_step_check_equals_fired_on_its_inputs():
    sink = EscalationSink(CollectingSink(), AureusConfig().escalation, {"BTCUSDT.BINANCE": "core"})
    plain = TriggerEvaluator(AureusConfig().escalation).fired_on  # a separate one, never evaluated
    rng = random.Random(11)
    ts, nav, day_pnl, core = T, 100_000.0, 0.0, 0.0
    kinds = set()
    for step in range(4_000):
        ts += MIN
        if rng.random() < 0.05:  # the book moves now and then; a flat book repeats its row
            nav *= 1.0 + rng.gauss(0.0, 0.02)
            day_pnl = rng.uniform(-4.0, 1.0)
            core = rng.choice((0.0, 30.0))
        if rng.random() < 0.02:
            sink.tracker.on_market(rng.gauss(0.0, 3.0), rng.uniform(-1.0, 1.0))
        if rng.random() < 0.01:
            put_oi = rng.uniform(0.0, 3.0) * 1_000.0
            call_oi = rng.choice((0.0, 1_000.0))
            sink.on_put_call(
                PutCallOpenInterest(
                    instrument=rng.choice(("DIA", "SPY")),
                    ts_event=ts + MIN,
                    put_oi=put_oi,
                    call_oi=call_oi,
                    contracts=3,
                )
            )
        if rng.random() < 0.1:
            sink.tracker.on_scored_decision(rng.random() < 0.5)
        sink.emit(EQUITY, _row(ts, nav, day_pnl, core))
        put_call = sink._put_call_ratio(ts) if sink._options_pending or sink._put_call else None
        expected = plain(*sink.tracker.trigger_inputs(), put_call)
        assert sink.check.fired() == expected, step
        kinds.add(tuple(expected))
    assert len(kinds) > 3  # the check saw several different outcomes, not one all along
