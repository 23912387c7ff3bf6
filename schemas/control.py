"""``control`` topic (key ``policy``): validated, bounded policy updates and risk commands the node applies.

Parameter names are dotted paths into the policy (``blend_weights.short``, ``bucket_caps.penny``,
``reward_coefficients.returns``, ``stop_multipliers.atr``, ``max_position_pct``, ...). The escalation
worker (or an operator) has already validated and bounded the values; the node applies them atomically
and moves to ``version``.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from schemas.common import SCHEMA_VERSION, TimestampNs
from schemas.escalation import SanityJudgeResponse

OverrideValue = float | bool | str | tuple[str, ...]
"""A replacement value: a number, a flag (``stay_demo``), a label, or a list (``do_not_trade_list``)."""


class PolicyUpdate(msgspec.Struct, tag="policy_update", frozen=True, kw_only=True):
    """A new policy version.

    Parameters
    ----------
    version : str
        The policy version this update produces (stamped on every later decision and trade).
    ts_event : int
        Nanoseconds, UTC.
    source : str
        Who produced it: ``gpt5``, ``ollama``, ``operator``, ``rollback``.
    deltas : dict[str, float]
        Additive changes to numeric parameters, by dotted name.
    reason : str
        Human-readable reason (e.g. the regime label).
    overrides : dict[str, float | bool | str | tuple[str, ...]]
        Parameters replaced outright (``disabled_features``, ``do_not_trade_list``, ``stay_demo``).
    previous_version : str
        The version the update applies on top of; empty for the first.
    request_id : str
        The escalation request it answers; empty for operator updates.
    call_type : str
        The escalation call type; empty for operator updates.
    """

    schema_version: int = SCHEMA_VERSION
    version: str
    ts_event: TimestampNs
    source: str
    deltas: dict[str, float]
    reason: str
    overrides: dict[str, OverrideValue] = {}
    previous_version: str = ""
    request_id: str = ""
    call_type: str = ""


RiskCommandKind = Literal["override", "approve", "force_demo"]


class RiskCommand(msgspec.Struct, tag="risk_command", frozen=True, kw_only=True):
    """An operator's (or the escalation worker's) command to the node's risk state.

    The node is the one writer of its risk state: commands reach it on ``control`` and it applies them at
    its engine clock, once per ``command_id`` (a redelivered command changes nothing).

    Parameters
    ----------
    command_id : str
        Unique id of the command (deduplication key).
    kind : {"override", "approve", "force_demo"}
        ``override``: the post-kill demo day is lifted (seed 001); ``approve``: a SANITY_JUDGE answer
        (``answer``, ``call_id``), ``stay_demo`` false lifts quarantine and post-kill demo;
        ``force_demo``: the node trades in demo from now until the next trading day.
    by : str
        Who sent it (operator name, ``gpt5:SANITY_JUDGE``).
    reason : str
        Why, in words.
    ts_event : int
        Nanoseconds, UTC, when it was issued (metadata; the node applies it at its own clock).
    answer : SanityJudgeResponse or None
        The SANITY_JUDGE answer; required for ``approve``, absent otherwise.
    call_id : str
        The escalation call the answer belongs to; required for ``approve``.
    """

    schema_version: int = SCHEMA_VERSION
    command_id: str
    kind: RiskCommandKind
    by: str
    reason: str
    ts_event: TimestampNs
    answer: SanityJudgeResponse | None = None
    call_id: str = ""


Control = PolicyUpdate | RiskCommand
"""Value type of the ``control`` topic."""
