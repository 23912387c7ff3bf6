"""Alert texts and small builders shared by the risk supervisor and the failure-mode hooks (seed 001)."""

from __future__ import annotations

from datetime import date, timedelta

from schemas.alerts import Alert
from schemas.common import Severity

KILL_SWITCH_MESSAGE = "Kill-switch armed—flattened; Demo tomorrow unless override"
QUARANTINE_MESSAGE = "Demo quarantine activated—GPT-5 override required"
DATA_STALL_MESSAGE = "Data feed interrupted—holding positions"
REASONER_OFFLINE_MESSAGE = "Local reasoner offline—using RL-only mode"
RL_MISSING_MESSAGE = "RL models unavailable—reduced position sizing"
GPT5_UNAVAILABLE_MESSAGE = "GPT-5 unavailable—using local reasoner"

GPT5_CLEARED_BY = "gpt5:SANITY_JUDGE"
"""``cleared_by`` of a quarantine lifted by a SANITY_JUDGE answer with ``stay_demo`` false."""

_EPOCH = date(1970, 1, 1)


def day_string(day_index: int) -> str:
    """``YYYY-MM-DD`` of a UTC day index (days since 1970-01-01, as :func:`engine.metrics.utc_day`)."""
    return (_EPOCH + timedelta(days=day_index)).isoformat()


def day_index(day: str) -> int:
    """Inverse of :func:`day_string`."""
    return (date.fromisoformat(day) - _EPOCH).days


def quarantine_remaining_message(days: int) -> str:
    """Seed 001 dashboard alert, e.g. ``"Demo quarantine active—7 days remaining"`` (today included)."""
    return f"Demo quarantine active—{days} day{'' if days == 1 else 's'} remaining"


def alert(ts: int, severity: Severity, code: str, message: str, *tags: str) -> Alert:
    """An :class:`~schemas.alerts.Alert` stamped with engine-clock ``ts``."""
    return Alert(severity=severity, code=code, message=message, ts_event=ts, tags=tuple(tags))
