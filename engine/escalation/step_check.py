"""The sink's per-step question "is any trigger due?", answered from kept parts instead of afresh.

:class:`StepCheck` answers what ``triggers.due_among(ts, triggers.fired_on(*tracker.trigger_inputs(),
put_call))`` answers. On most steps of a replay the book is flat and nothing but the reference's vol
z-score and correlation moved, so it keeps the other conditions (risk, model_decay, event_heat) and the
earliest time any of them may escalate again, and re-tests them only when their inputs may have moved:
the tracker's :attr:`~engine.escalation.node_state.NodeStateTracker.revision`, the evaluator's
:attr:`~engine.escalation.triggers.TriggerEvaluator.revision` (a request went out) or the put/call ratio.
The regime condition is tested on every step. A trigger held but still inside its window then costs one
comparison per step.
"""

from __future__ import annotations

import math

from engine.escalation.node_state import NodeStateTracker
from engine.escalation.triggers import TriggerEvaluator

_OTHERS = ("risk", "model_decay", "event_heat")  # the conditions kept between refreshes, in TRIGGERS order


class StepCheck:
    """Whether any trigger holds and is outside its window (see the module docstring).

    Parameters
    ----------
    triggers : TriggerEvaluator
        The conditions, windows and last escalation times.
    tracker : NodeStateTracker
        The inputs.
    """

    def __init__(self, triggers: TriggerEvaluator, tracker: NodeStateTracker) -> None:
        self._triggers = triggers
        self._tracker = tracker
        self._vol_z_above, self._correlation_under = triggers.regime_limits
        self._tracker_revision = -1  # never seen: the first step builds the kept parts
        self._triggers_revision = -1
        self._put_call: float | None = None
        self._held: tuple[bool, bool, bool] | None = None  # whether each of _OTHERS holds
        self._others: tuple[str, ...] = ()  # risk, model_decay, event_heat as held, in TRIGGERS order
        self._others_due = math.inf  # the earliest time one of them may escalate (inf: none holds)
        self._regime_due = -math.inf  # the earliest time regime may escalate
        self._any_due = math.inf  # min(_others_due, _regime_due): the due time while regime holds

    def due(self, ts: int, put_call: float | None) -> bool:
        """Whether a request would go out at ``ts`` (``put_call``: the step's put/call ratio, if any)."""
        tracker = self._tracker
        if (
            tracker.revision != self._tracker_revision
            or self._triggers.revision != self._triggers_revision
            or put_call != self._put_call  # a NaN ratio re-tests every step
        ):
            self._refresh(put_call)
        # TriggerEvaluator.regime_holds, inlined: the one condition whose inputs move on nearly every step
        if abs(tracker.vol_z) > self._vol_z_above and tracker.correlation < self._correlation_under:
            return ts >= self._any_due
        return ts >= self._others_due

    def fired(self) -> list[str]:
        """The triggers that hold at the last :meth:`due` (``fired_on``'s list, in the same order)."""
        tracker = self._tracker
        out = list(self._others)
        if abs(tracker.vol_z) > self._vol_z_above and tracker.correlation < self._correlation_under:
            out.insert(1 if out and out[0] == "risk" else 0, "regime")
        return out

    def _refresh(self, put_call: float | None) -> None:
        triggers, tracker = self._triggers, self._tracker
        # decay_holds, with the Sharpe computed only when the accuracy alone does not decide it
        held = (
            triggers.risk_holds(tracker.drawdown(), tracker.day_pnl),
            triggers.accuracy_decayed(*tracker.accuracies()) or triggers.sharpe_low(tracker.rolling_sharpe()),
            triggers.heat_holds(put_call),
        )
        # most refreshes (a scored decision, a NAV move) leave the same conditions held: keep their times
        if held != self._held or triggers.revision != self._triggers_revision:
            self._held = held
            self._others = tuple(name for name, holds in zip(_OTHERS, held, strict=True) if holds)
            self._others_due = min((triggers.due_at(name) for name in self._others), default=math.inf)
            self._regime_due = triggers.due_at("regime")
            self._any_due = min(self._others_due, self._regime_due)
            self._triggers_revision = triggers.revision
        self._tracker_revision = tracker.revision
        self._put_call = put_call
