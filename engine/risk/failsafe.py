"""Failure-mode responses (seed 001 "Failure Mode Responses"): flags the node obeys and the alerts to publish.

:class:`FailureModes` is a small pure state machine. Each hook flips a flag and returns the alerts to
publish; calling a hook again while its condition already holds returns no alert (idempotent), so a
caller may report every failed probe. What the flags mean for the caller:

=====================  ===========================================================================
flag                   the caller
=====================  ===========================================================================
``stalled``            holds state: cancels new (working entry) orders, keeps stops active, submits none
``rl_only``            runs the ensemble on the RL policy only (local reasoner offline)
``features_frozen``    applies no feature-toggle change (local reasoner offline)
``use_local_reasoner`` sends escalations to the local reasoner instead of GPT-5
``reduced_sizing``     runs predictors only and multiplies sizes by ``policy.rl_missing_size_factor``
=====================  ===========================================================================
"""

from __future__ import annotations

import msgspec

from engine.risk.notices import (
    DATA_STALL_MESSAGE,
    GPT5_UNAVAILABLE_MESSAGE,
    REASONER_OFFLINE_MESSAGE,
    RL_MISSING_MESSAGE,
    alert,
)
from schemas.alerts import Alert


class EscalationAttempt(msgspec.Struct, kw_only=True, frozen=True):
    """One failed GPT-5 call, logged while GPT-5 is unavailable.

    Parameters
    ----------
    ts : int
        Engine-clock nanoseconds.
    call_type : str
        ``REGIME_AUDITOR``, ``REWARD_ENGINEER`` or ``SANITY_JUDGE``.
    error : str
        What failed (timeout, HTTP status, invalid answer).
    request_id : str
        The escalation request's id, empty when unknown.
    """

    ts: int
    call_type: str
    error: str
    request_id: str = ""


class FailureModes:
    """Degraded-mode flags of one node.

    Attributes
    ----------
    stalled, rl_only, features_frozen, use_local_reasoner, reduced_sizing : bool
        See the module table. All start ``False``.
    attempts : list[EscalationAttempt]
        GPT-5 failures logged since GPT-5 was last available (cleared by :meth:`gpt5_recovered`).
    """

    def __init__(self) -> None:
        self.stalled = False
        self.rl_only = False
        self.features_frozen = False
        self.use_local_reasoner = False
        self.reduced_sizing = False
        self.attempts: list[EscalationAttempt] = []

    @property
    def degraded(self) -> bool:
        """Whether any failure mode is in force."""
        return self.stalled or self.rl_only or self.use_local_reasoner or self.reduced_sizing

    def data_stalled(self, ts: int) -> tuple[Alert, ...]:
        """Market data stopped: hold positions, cancel new orders, keep stops active."""
        if self.stalled:
            return ()
        self.stalled = True
        return (alert(ts, "critical", "data_stall", DATA_STALL_MESSAGE),)

    def data_resumed(self, ts: int) -> tuple[Alert, ...]:
        """Market data is back; trading may resume."""
        if not self.stalled:
            return ()
        self.stalled = False
        return (alert(ts, "info", "data_resumed", "Data feed restored—trading resumed"),)

    def reasoner_offline(self, ts: int) -> tuple[Alert, ...]:
        """The local reasoner does not answer: RL-only ensemble, feature toggles frozen."""
        if self.rl_only:
            return ()
        self.rl_only = True
        self.features_frozen = True
        return (alert(ts, "warning", "reasoner_offline", REASONER_OFFLINE_MESSAGE),)

    def reasoner_online(self, ts: int) -> tuple[Alert, ...]:
        """The local reasoner answers again: full ensemble, feature toggles unfrozen."""
        if not self.rl_only:
            return ()
        self.rl_only = False
        self.features_frozen = False
        return (alert(ts, "info", "reasoner_online", "Local reasoner back online"),)

    def gpt5_failed(self, ts: int, attempt_info: EscalationAttempt) -> tuple[Alert, ...]:
        """A GPT-5 call failed: log the attempt and use the local reasoner until GPT-5 recovers.

        Every attempt is logged; only the first failure alerts.
        """
        self.attempts.append(attempt_info)
        if self.use_local_reasoner:
            return ()
        self.use_local_reasoner = True
        return (alert(ts, "warning", "gpt5_unavailable", GPT5_UNAVAILABLE_MESSAGE, attempt_info.call_type),)

    def gpt5_recovered(self, ts: int) -> tuple[Alert, ...]:
        """A GPT-5 call succeeded again: escalations go back to GPT-5 and the attempt log is cleared."""
        if not self.use_local_reasoner:
            return ()
        self.use_local_reasoner = False
        failed = len(self.attempts)
        self.attempts = []
        message = f"GPT-5 available again after {failed} failed call{'' if failed == 1 else 's'}"
        return (alert(ts, "info", "gpt5_recovered", message),)

    def rl_missing(self, ts: int) -> tuple[Alert, ...]:
        """RL models are unavailable: predictors only, reduced position sizing."""
        if self.reduced_sizing:
            return ()
        self.reduced_sizing = True
        return (alert(ts, "warning", "rl_model_missing", RL_MISSING_MESSAGE),)

    def rl_available(self, ts: int) -> tuple[Alert, ...]:
        """RL models are loaded again: full ensemble and sizing."""
        if not self.reduced_sizing:
            return ()
        self.reduced_sizing = False
        return (alert(ts, "info", "rl_available", "RL models available—full position sizing"),)
