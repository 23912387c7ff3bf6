"""``risk`` topic: clamp hits, kill switch, quarantine, mode and trading-state changes.

Keyed by instrument, or by ``"*"`` (:data:`schemas.common.WILDCARD_INSTRUMENT`) for portfolio-wide
events. Calendar days are ``YYYY-MM-DD`` strings of the UTC trading day.
"""

from __future__ import annotations

import msgspec

from schemas.common import SCHEMA_VERSION, WILDCARD_INSTRUMENT, Mode, TimestampNs, TradingState


class ClampHit(msgspec.Struct, tag="clamp_hit", frozen=True, kw_only=True):
    """A hard risk clamp reduced (or zeroed) an order.

    Parameters
    ----------
    instrument : str
        Instrument id, or ``"*"``.
    ts_event : int
        Nanoseconds, UTC.
    clamp : str
        Which clamp: ``bucket_cap``, ``per_name_cap``, ``quarantine``, ``do_not_trade``, ...
    reason : str
        Human-readable explanation.
    requested : float
        Size (fraction of NAV) before the clamp.
    allowed : float
        Size after the clamp.
    limit : float
        The limit that bound.
    bucket : str
        Risk bucket (``core``, ``penny``, ``fno``, ``sip``), empty when not bucket-specific.
    """

    schema_version: int = SCHEMA_VERSION
    instrument: str
    ts_event: TimestampNs
    clamp: str
    reason: str
    requested: float
    allowed: float
    limit: float
    bucket: str = ""


class KillSwitchTriggered(msgspec.Struct, tag="kill_switch_triggered", frozen=True, kw_only=True):
    """The daily-loss kill switch fired: flatten everything, no new orders for the day.

    Parameters
    ----------
    ts_event : int
        Nanoseconds, UTC.
    reason : str
        Human-readable reason (sent to SANITY_JUDGE as ``kill_switch_reason``).
    daily_pnl : float
        Day P&L as a fraction of start-of-day NAV (-0.03 is -3 %).
    threshold : float
        Threshold crossed (-0.025 in the seed).
    trading_day : str
        UTC trading day, ``YYYY-MM-DD``.
    instrument : str
        Always ``"*"`` today; kept for a uniform topic key.
    """

    schema_version: int = SCHEMA_VERSION
    ts_event: TimestampNs
    reason: str
    daily_pnl: float
    threshold: float
    trading_day: str
    instrument: str = WILDCARD_INSTRUMENT


class QuarantineChanged(msgspec.Struct, tag="quarantine_changed", frozen=True, kw_only=True):
    """Demo quarantine started, was cleared by an override, or expired.

    Parameters
    ----------
    ts_event : int
        Nanoseconds, UTC.
    active : bool
        Whether quarantine is in force after this event.
    reason : str
        Human-readable reason.
    kill_switch_days : tuple[str, ...]
        Kill-switch days in the look-back window that led here.
    until_day : str or None
        Last quarantined UTC day (inclusive), ``None`` when not active.
    cleared_by : str
        Who lifted it (e.g. ``gpt5:SANITY_JUDGE``, ``operator``), empty otherwise.
    instrument : str
        ``"*"``.
    """

    schema_version: int = SCHEMA_VERSION
    ts_event: TimestampNs
    active: bool
    reason: str
    kill_switch_days: tuple[str, ...] = ()
    until_day: str | None = None
    cleared_by: str = ""
    instrument: str = WILDCARD_INSTRUMENT


class ModeChanged(msgspec.Struct, tag="mode_changed", frozen=True, kw_only=True):
    """The node switched between ``demo`` and ``live``.

    Parameters
    ----------
    ts_event : int
        Nanoseconds, UTC.
    previous, current : {"demo", "micro", "limited", "full"}
        Mode before and after.
    reason : str
        Why (quarantine, override, operator).
    instrument : str
        ``"*"``.
    """

    schema_version: int = SCHEMA_VERSION
    ts_event: TimestampNs
    previous: Mode
    current: Mode
    reason: str
    instrument: str = WILDCARD_INSTRUMENT


class TradingStateChanged(msgspec.Struct, tag="trading_state_changed", frozen=True, kw_only=True):
    """The Nautilus trading state changed (e.g. ``HALTED`` on a data stall or the kill switch).

    Parameters
    ----------
    ts_event : int
        Nanoseconds, UTC.
    previous, current : {"ACTIVE", "REDUCING", "HALTED"}
        State before and after.
    reason : str
        Why.
    instrument : str
        Instrument id, or ``"*"`` for the whole node.
    """

    schema_version: int = SCHEMA_VERSION
    ts_event: TimestampNs
    previous: TradingState
    current: TradingState
    reason: str
    instrument: str = WILDCARD_INSTRUMENT


RiskEvent = ClampHit | KillSwitchTriggered | QuarantineChanged | ModeChanged | TradingStateChanged
"""Value type of the ``risk`` topic."""
