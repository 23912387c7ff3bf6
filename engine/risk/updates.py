"""What a risk supervisor call returns (:class:`RiskUpdate`), the kill-switch threshold test, and the
collector the supervisor fills while it handles one call."""

from __future__ import annotations

import msgspec

from engine.risk.state import SipEntry
from schemas.alerts import Alert
from schemas.common import Mode, TradingState
from schemas.risk import ModeChanged, RiskEvent, TradingStateChanged

KILL_EPSILON = 1e-12
"""Tolerance of the threshold comparison, so a loss of exactly ``daily_loss_pct`` fires despite rounding."""


def kill_threshold_crossed(day_pnl: float, daily_loss_pct: float) -> bool:
    """Whether a day P&L fraction is at or below the kill-switch threshold (``-daily_loss_pct`` %).

    Parameters
    ----------
    day_pnl : float
        ``nav / sod_nav - 1``.
    daily_loss_pct : float
        ``risk.kill_switch.daily_loss_pct`` (2.5 in the seed).
    """
    return day_pnl <= -daily_loss_pct / 100.0 + KILL_EPSILON


class RiskUpdate(msgspec.Struct, kw_only=True, frozen=True):
    """What one supervisor call asks the caller to do and publish.

    Parameters
    ----------
    events : tuple[RiskEvent, ...]
        ``risk`` topic events, in the order they happened.
    alerts : tuple[Alert, ...]
        ``alerts`` topic messages.
    flatten : bool
        The kill switch fired on this call: flatten every position now, then call ``record_flatten``.
    trading_state : {"ACTIVE", "HALTED"} or None
        Trading state after this call when it changed during it (set even if it changed back).
    mode : {"demo", "micro", "limited", "full"} or None
        Effective mode after this call when it changed during it.
    new_day : str or None
        The trading day this mark opened, ``None`` when the day did not change.
    sip_entry : SipEntry or None
        The SIP ledger entry of the day closed by this mark (profitable days only).
    day_pnl : float
        Day P&L fraction after this call (``last_nav / sod_nav - 1``).
    persisted : bool
        Whether the state is in the store after this call (``True`` without a store). ``False`` means the
        store failed; the change is kept in memory and written with the next successful ``put``.
    """

    events: tuple[RiskEvent, ...] = ()
    alerts: tuple[Alert, ...] = ()
    flatten: bool = False
    trading_state: TradingState | None = None
    mode: Mode | None = None
    new_day: str | None = None
    sip_entry: SipEntry | None = None
    day_pnl: float = 0.0
    persisted: bool = True


class Changes:
    """Events and alerts collected during one supervisor call, in order."""

    def __init__(self) -> None:
        self.events: list[RiskEvent] = []
        self.alerts: list[Alert] = []
        self.trading_state: TradingState | None = None
        self.mode: Mode | None = None

    def trading(self, ts: int, previous: TradingState, current: TradingState, reason: str) -> None:
        """Record a trading-state transition."""
        self.events.append(
            TradingStateChanged(ts_event=ts, previous=previous, current=current, reason=reason)
        )
        self.trading_state = current

    def mode_change(self, ts: int, before: Mode, after: Mode, reason: str) -> None:
        """Record a mode transition when the mode did change."""
        if after != before:
            self.events.append(ModeChanged(ts_event=ts, previous=before, current=after, reason=reason))
            self.mode = after

    def update(
        self, *, day_pnl: float, persisted: bool, pending_alerts: list[Alert], **fields: object
    ) -> RiskUpdate:
        """Freeze into a :class:`RiskUpdate` (``fields``: ``flatten``, ``new_day``, ``sip_entry``)."""
        return RiskUpdate(
            events=tuple(self.events),
            alerts=tuple(self.alerts + pending_alerts),
            trading_state=self.trading_state,
            mode=self.mode,
            day_pnl=day_pnl,
            persisted=persisted,
            **fields,  # type: ignore[arg-type]
        )
