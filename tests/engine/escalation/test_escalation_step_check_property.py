"""Over random streams of tracker updates, market moves, put/call ratios and requests sent, the sink's
kept per-step check (:class:`~engine.escalation.step_check.StepCheck`) decides exactly what the full check
decides: :meth:`TriggerEvaluator.fired` and :meth:`TriggerEvaluator.due` on the full snapshot. And the
tracker's shortcut for a repeated row (same NAV within the latest day) leaves it as the full update would."""

from __future__ import annotations

import math

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.config import AureusConfig
from engine.escalation.node_state import NodeStateTracker
from engine.escalation.step_check import StepCheck
from engine.escalation.triggers import TriggerEvaluator

T0 = 1_677_628_800_000_000_000  # 2023-03-01T00:00:00Z
S = 10**9
WINDOW_S = 3_600.0  # short, so triggers cool down and come due again within a stream

_steps = st.sampled_from(
    (0, 60 * S, 3_600 * S, 6 * 3_600 * S, 86_400 * S, -60 * S, -86_400 * S)
)  # rewinds too
_day_pnls = st.sampled_from((0.0, -0.0, 0.004, -0.01, -0.03, -0.2, math.nan))
_put_calls = st.sampled_from((None, None, 1.0, 1.6, 2.5, math.nan))
_op = st.one_of(
    st.tuples(st.just("equity"), _steps, st.sampled_from((1.0, 1.0, 1.0, 0.9, 0.97, 1.02, 1.2)), _day_pnls),
    st.tuples(
        st.just("market"), st.sampled_from((0.0, 1.5, 2.5, -3.0, math.inf)), st.sampled_from((0.9, 0.1))
    ),
    st.tuples(st.just("scored"), st.booleans(), st.integers(1, 60)),
    st.tuples(st.just("put_call"), _put_calls),
    st.tuples(st.just("kill_evaluate")),
)


def _evaluator() -> TriggerEvaluator:
    config = AureusConfig().escalation
    return TriggerEvaluator(msgspec.structs.replace(config, trigger_window_s=WINDOW_S))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_op, min_size=1, max_size=250))
def test_kept_check_decides_what_the_full_check_decides(ops):
    tracker = NodeStateTracker(accuracy_window=50)  # a baseline after 100 scored decisions, not 250
    triggers = _evaluator()
    check = StepCheck(triggers, tracker)
    ts, nav, put_call = T0, 100_000.0, None
    for op in ops:
        kind = op[0]
        if kind == "equity":
            _, step, move, day_pnl = op
            ts += step
            nav *= move
            tracker.on_equity(ts, nav, day_pnl, {"core": 0.0})
        elif kind == "market":
            tracker.on_market(op[1], op[2])
        elif kind == "scored":
            for _ in range(op[2]):
                tracker.on_scored_decision(op[1])
        elif kind == "put_call":
            put_call = op[1]
        else:  # a request outside the per-step check (the kill switch's) also writes last_fired
            triggers.evaluate(tracker.snapshot(ts, kill_switch_reason="halt"), only=("kill_switch",))
        state = tracker.snapshot(ts, put_call_ratio=put_call)
        due = check.due(ts, put_call)
        assert due == triggers.due(state)
        assert check.fired() == triggers.fired(state)
        if due:  # as the sink does: the requests go out and their triggers cool down
            assert triggers.evaluate(state)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(_steps, st.sampled_from((1.0, 1.0, 1.0, 0.95, 1.05)), _day_pnls), max_size=120))
def test_repeated_row_shortcut_equals_the_full_update(rows):
    tracker, full = NodeStateTracker(), NodeStateTracker()
    ts, nav = T0, 100_000.0  # T0 is midnight UTC: the steps land on day boundaries too
    for step, move, day_pnl in rows:
        ts += step
        nav *= move
        tracker.on_equity(ts, nav, day_pnl, {"core": 0.0})
        full._flat_after = full._flat_until = 0  # never a repeat: every row takes the full update
        full.on_equity(ts, nav, day_pnl, {"core": 0.0})
        assert tracker._day_close == full._day_close
        assert tracker._day_peak == full._day_peak
        assert (tracker._day, tracker._last_day, tracker.nav, tracker.sod_nav) == (
            full._day,
            full._last_day,
            full.nav,
            full.sod_nav,
        )
        assert repr(tracker.trigger_inputs()) == repr(full.trigger_inputs())  # -0.0 and NaN alike
