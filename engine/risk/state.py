"""The risk supervisor's persisted document: kill-switch days, demo days, quarantine calendar, SIP ledger.

One :class:`RiskState` is stored as JSON under one key of a :class:`~engine.state.StateStore` and
rewritten whole after every change, so a restarted node resumes exactly where the last one stopped.
Days are ``YYYY-MM-DD`` strings of the UTC trading day (:func:`engine.metrics.utc_day`); timestamps are
engine-clock nanoseconds.
"""

from __future__ import annotations

import msgspec

from engine.errors import StateStoreError
from engine.risk.state_bounds import check_state
from schemas.common import Mode

RISK_STATE_VERSION = 1
"""Version written by this build; :func:`decode_risk_state` rejects any other."""

_STRUCT = {"kw_only": True, "frozen": True, "forbid_unknown_fields": True}


class OverrideRecord(msgspec.Struct, **_STRUCT):
    """An operator override: the trading day after a kill need not run in demo.

    Parameters
    ----------
    ts : int
        Engine-clock nanoseconds of the override.
    day : str
        Trading day current when it was recorded.
    by : str
        Who (operator name or id).
    reason : str
        Why.
    applied : bool
        Whether it cancelled a pending or current post-kill demo day (``False``: nothing to override).
    """

    ts: int
    day: str
    by: str
    reason: str
    applied: bool


class ApprovalRecord(msgspec.Struct, **_STRUCT):
    """A SANITY_JUDGE answer, kept whatever it said.

    Parameters
    ----------
    ts : int
        Engine-clock nanoseconds when the answer was applied.
    day : str
        Trading day current then.
    call_id : str
        Id of the escalation call that produced the answer.
    stay_demo : bool
        The answer's ``stay_demo``.
    cleared : bool
        Whether it cleared an active quarantine or a pending or current post-kill demo day.
    """

    ts: int
    day: str
    call_id: str
    stay_demo: bool
    cleared: bool


class FlattenRecord(msgspec.Struct, **_STRUCT):
    """The last completed flatten: ``ts`` (ns), ``reason`` and the trading ``day``."""

    ts: int
    reason: str
    day: str


class SipEntry(msgspec.Struct, **_STRUCT):
    """End-of-day move to the SIP bucket (seed 001: 1 % of daily profit).

    Parameters
    ----------
    day : str
        The closed trading day.
    day_pnl : float
        That day's P&L in currency (last NAV minus start-of-day NAV), always > 0 here.
    amount : float
        Currency moved: ``profit_share_pct`` % of ``day_pnl``.
    """

    day: str
    day_pnl: float
    amount: float


class RiskState(msgspec.Struct, **_STRUCT):
    """Everything the kill switch and the demo quarantine must remember across restarts.

    Parameters
    ----------
    schema_version : int
        :data:`RISK_STATE_VERSION`.
    configured_mode : {"demo", "micro", "limited", "full"}
        Mode from the config; the effective mode is ``demo`` on post-kill and quarantine days.
    day : str
        Current trading day, ``""`` before the first mark.
    sod_nav : float
        Start-of-day NAV: the previous trading day's last marked NAV (the very first mark's NAV).
    last_nav : float
        Most recent marked NAV.
    day_pnl_low : float
        Lowest day P&L fraction (``nav / sod_nav - 1``) seen today.
    halted_day : str
        Day the kill switch last fired (trading is halted while it equals ``day``), or ``""``.
    halted_ts : int
        Engine-clock nanoseconds of that kill (0 when none).
    kill_days : tuple[str, ...]
        Every kill-switch day, oldest first.
    trading_days : tuple[str, ...]
        The last ``quarantine_window_days`` trading days (days with a mark), most recent last.
    demo_pending : bool
        The next trading day runs in demo because of a kill (unless ``demo_override``).
    demo_override : bool
        An operator override was recorded for the pending post-kill demo day.
    post_kill_demo : bool
        Today is a post-kill demo day (not overridden, not cleared).
    quarantine_today : bool
        Today is a quarantine demo day (not cleared).
    demo_days : tuple[str, ...]
        Days that started in demo because of a kill or a quarantine, oldest first.
    quarantine_days : tuple[str, ...]
        Days that started as quarantine demo days, oldest first.
    quarantine_remaining : int
        Quarantine demo days still to come after today.
    quarantine_started : str
        Day the current quarantine was activated (the kill day that triggered it), ``""`` when none.
    overrides : tuple[OverrideRecord, ...]
        Operator overrides, oldest first.
    approvals : tuple[ApprovalRecord, ...]
        SANITY_JUDGE answers, oldest first.
    last_flatten : FlattenRecord or None
        Last flatten the caller reported done.
    sip_ledger : tuple[SipEntry, ...]
        One entry per closed profitable day.
    sip_balance : float
        Sum of the ledger's amounts.
    activations : int
        Number of kill-switch activations (one per kill day at most).
    forced_demo_day : str
        Day an operator forced to demo (``force_demo`` command), ``""`` when none.
    commands : tuple[str, ...]
        Ids of the last risk commands applied (a redelivered command is ignored).
    decided : dict[str, int]
        Instrument -> event time (ns) of its last bar whose portfolio step ran, recorded once that step's
        outputs were acknowledged by the broker (the daemon); a restart decides no bar at or before it.
    version : int
        Incremented by every write; a write based on an older version is refused by the store.
    """

    schema_version: int = RISK_STATE_VERSION
    configured_mode: Mode = "demo"
    day: str = ""
    sod_nav: float = 0.0
    last_nav: float = 0.0
    day_pnl_low: float = 0.0
    halted_day: str = ""
    halted_ts: int = 0
    kill_days: tuple[str, ...] = ()
    trading_days: tuple[str, ...] = ()
    demo_pending: bool = False
    demo_override: bool = False
    post_kill_demo: bool = False
    quarantine_today: bool = False
    demo_days: tuple[str, ...] = ()
    quarantine_days: tuple[str, ...] = ()
    quarantine_remaining: int = 0
    quarantine_started: str = ""
    overrides: tuple[OverrideRecord, ...] = ()
    approvals: tuple[ApprovalRecord, ...] = ()
    last_flatten: FlattenRecord | None = None
    sip_ledger: tuple[SipEntry, ...] = ()
    sip_balance: float = 0.0
    activations: int = 0
    forced_demo_day: str = ""
    commands: tuple[str, ...] = ()
    decided: dict[str, int] = {}
    version: int = 0

    @property
    def halted(self) -> bool:
        """Whether the kill switch fired on the current day."""
        return bool(self.halted_day) and self.halted_day == self.day

    @property
    def quarantine_active(self) -> bool:
        """Whether a quarantine is in force: today is a quarantine day or quarantine days are to come."""
        return self.quarantine_today or self.quarantine_remaining > 0

    @property
    def in_demo(self) -> bool:
        """Whether today is forced to demo (post-kill day, quarantine day or an operator's force_demo)."""
        forced = bool(self.forced_demo_day) and self.forced_demo_day == self.day
        return self.post_kill_demo or self.quarantine_today or forced


_ENCODER = msgspec.json.Encoder()
_DECODER = msgspec.json.Decoder(RiskState)


def encode_risk_state(state: RiskState) -> bytes:
    """The state as compact JSON (fields in declaration order; floats round-trip exactly)."""
    return _ENCODER.encode(state)


def decode_risk_state(raw: bytes, *, key: str = "risk") -> RiskState:
    """Decode a stored document.

    Parameters
    ----------
    raw : bytes
        What the store returned.
    key : str
        The store key, named in error messages.

    Raises
    ------
    StateStoreError
        Not JSON, a missing, extra or mistyped field (the message names its path), or an unsupported
        ``schema_version``, or a field out of range (negative count, malformed day).
    """
    try:
        state = _DECODER.decode(raw)
    except msgspec.DecodeError as e:
        raise StateStoreError(f"risk state under key {key!r} is corrupt or of another format: {e}") from e
    if state.schema_version != RISK_STATE_VERSION:
        raise StateStoreError(
            f"risk state under key {key!r} has schema_version {state.schema_version}; "
            f"this build reads {RISK_STATE_VERSION}"
        )
    return check_state(state, key=key)
