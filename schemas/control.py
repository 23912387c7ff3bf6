"""``control`` topic (key ``policy``): validated, bounded policy updates the node applies.

Parameter names are dotted paths into the policy (``blend_weights.short``, ``bucket_caps.penny``,
``reward_coefficients.returns``, ``stop_multipliers.atr``, ``max_position_pct``, ...). The escalation
worker (or an operator) has already validated and bounded the values; the node applies them atomically
and moves to ``version``.
"""

from __future__ import annotations

import msgspec

from schemas.common import SCHEMA_VERSION, TimestampNs

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


Control = PolicyUpdate
"""Value type of the ``control`` topic."""
