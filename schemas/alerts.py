"""``alerts`` topic (keyed by severity): what subscribers see on console, webhook or Telegram."""

from __future__ import annotations

import msgspec

from schemas.common import SCHEMA_VERSION, Severity, TimestampNs


class Alert(msgspec.Struct, tag="alert", frozen=True, kw_only=True):
    """One alert.

    Parameters
    ----------
    severity : {"info", "warning", "critical"}
        Severity; the topic key and the routing dimension of subscriptions.
    code : str
        Stable snake_case code subscribers filter on (``kill_switch_armed``, ``escalation_gpt5``,
        ``quarantine_active``, ``data_stall``, ``reasoner_offline``, ``rl_missing``, ...).
    message : str
        Human text, e.g. the seed's "Kill-switch armed—flattened; Demo tomorrow unless override".
    ts_event : int
        Nanoseconds, UTC.
    tags : tuple[str, ...]
        Extra routing tags (instrument ids, call types); subscribers can filter on them (``--topic``).
    source : str
        Who raised it (``node``, ``escalation``, ``news``, ...).
    """

    schema_version: int = SCHEMA_VERSION
    severity: Severity
    code: str
    message: str
    ts_event: TimestampNs
    tags: tuple[str, ...] = ()
    source: str = ""


AlertEvent = Alert
"""Value type of the ``alerts`` topic."""
