"""Daily-loss kill switch, post-kill demo days, demo quarantine and SIP ledger (seed 001 Kill Switch Rules).

Pure and deterministic: time comes only from the engine-clock ``ts`` (ns) passed to each call, days are
:func:`engine.metrics.utc_day` days. The whole :class:`~engine.risk.state.RiskState` is written to the
store (one atomic ``put``) after every change, so a supervisor rebuilt from the same store after a restart
continues exactly as the old one would have.

Calendar, in trading days (UTC days with at least one mark):

* day ``K``, kill switch: day P&L ``nav / sod_nav - 1 <= -daily_loss_pct / 100`` at any mark. Trading halts
  for the rest of ``K`` and the caller flattens (``flatten=True`` once). The mode does not change on ``K``:
  flatten orders go where the positions are.
* day ``K+1`` runs in ``demo`` (a post-kill demo day), unless an operator override or a SANITY_JUDGE answer
  with ``stay_demo`` false was recorded after the kill.
* a kill that makes ``quarantine_kill_days`` kill days within the last ``quarantine_window_days`` trading
  days (``K`` included) starts a quarantine: the next ``quarantine_demo_days`` trading days run in demo.
  Only a SANITY_JUDGE answer with ``stay_demo`` false lifts it early; operator overrides do not.
* modes change only at the first mark of a day, or at once when an override or approval lifts demo.
"""

from __future__ import annotations

import math

import msgspec

from engine.config import KillSwitchConfig, RiskConfig
from engine.errors import RiskInputError, StaleStateError, StateStoreError
from engine.metrics import NS_PER_DAY, utc_day, utc_day_span
from engine.risk.notices import (
    GPT5_CLEARED_BY,
    KILL_SWITCH_MESSAGE,
    QUARANTINE_MESSAGE,
    alert,
    day_index,
    day_string,
    quarantine_remaining_message,
)
from engine.risk.state import (
    ApprovalRecord,
    FlattenRecord,
    OverrideRecord,
    RiskState,
    SipEntry,
    decode_risk_state,
    encode_risk_state,
)
from engine.risk.updates import Changes, RiskUpdate, kill_threshold_crossed
from engine.state import StateStore, VersionedStateStore
from schemas.alerts import Alert
from schemas.common import Mode, TradingState
from schemas.control import RiskCommand
from schemas.escalation import SanityJudgeResponse
from schemas.risk import KillSwitchTriggered, QuarantineChanged

_replace = msgspec.structs.replace
_COMMANDS_KEPT = 256


class RiskSupervisor:
    """Kill switch, demo days, quarantine and SIP ledger over one persisted :class:`RiskState`.

    Parameters
    ----------
    risk : RiskConfig
        ``kill_switch`` thresholds and ``sip.profit_share_pct``.
    configured_mode : {"demo", "micro", "limited", "full"}
        The config's mode; it replaces a different persisted one (the operator's choice wins).
    store : StateStore, optional
        Where the state lives; ``None`` keeps it in memory only (replay, tests).
    key : str
        Store key of the document.
    mark_persist_interval_ns : int
        A change of the marked NAV alone (last NAV, day low) is written at most this often in engine time;
        every other change (day roll, kill, quarantine, mode, override, approval, flatten, SIP) is written at
        once. 0 writes every change (the daemon on Redis); replay's file store uses an hour, as an fsync
        per bar would dominate it. A restart then loses at most that much of the intraday NAV trail.

    read_only : bool
        Never write (``aureus risk status``): the stored document, configured mode included, is shown as
        it is. Writes by the one writer (the node) use compare-and-set on the document's ``version``, so
        a second writer's change is refused with a ``risk_state_conflict`` alert, never overwritten.

    Raises
    ------
    StateStoreError
        The stored document cannot be read or decoded (the message names the key).
    """

    def __init__(
        self,
        risk: RiskConfig,
        configured_mode: Mode,
        *,
        store: StateStore | None = None,
        key: str = "risk",
        mark_persist_interval_ns: int = 0,
        read_only: bool = False,
    ) -> None:
        self._kill: KillSwitchConfig = risk.kill_switch
        self._sip_pct = risk.sip.profit_share_pct
        self._store = store
        self._key = key
        self._pending_alerts: list[Alert] = []
        self.quiet_mark: tuple[float, int, int, RiskUpdate] | None = None
        """``(nav, first_ts, last_ts, update)``: a mark at ``nav`` with ``first_ts <= ts <= last_ts`` would
        change nothing, write nothing and return ``update`` (a repeated NAV on a flat book); ``None``: no
        such mark is known. Forgotten whenever the state changes or a write is attempted."""
        self.persist_error: StateStoreError | None = None
        raw = store.get(key) if store is not None else None
        loaded = decode_risk_state(raw, key=key) if raw is not None else None
        self._persisted: RiskState | None = loaded
        self._persisted_raw: bytes | None = raw
        self._mark_interval_ns = mark_persist_interval_ns
        self._saved_ts = -mark_persist_interval_ns
        self._read_only = read_only
        state = loaded if loaded is not None else RiskState(configured_mode=configured_mode)
        self._set_state(
            state if read_only and loaded is not None else _replace(state, configured_mode=configured_mode)
        )
        self._day = day_index(self._state.day) if self._state.day else None
        self._save(0)

    # --- read side --------------------------------------------------------------------------------

    @property
    def state(self) -> RiskState:
        """The current (immutable) state document."""
        return self._state

    def _set_state(self, s: RiskState) -> None:
        """Make ``s`` the current state, with what the per-step readers take from it: plain attributes,
        read every step (mark, decisions, equity row), computed once per state rather than per read.

        ``mode``: effective mode, ``demo`` on a post-kill or quarantine day, else the configured mode.
        ``halted``: whether the kill switch fired today (no new orders until the next trading day).
        ``trading_state``: ``"HALTED"`` on a kill day, else ``"ACTIVE"``.
        ``day_pnl``: today's P&L fraction, ``last_nav / sod_nav - 1`` (0 before the first mark).
        ``flatten_pending``: halted today and no flatten recorded since the kill (a restart between them).
        """
        self._state = s
        self.quiet_mark = None
        halted = s.halted
        self.mode: Mode = "demo" if s.in_demo else s.configured_mode
        self.halted: bool = halted
        self.trading_state: TradingState = "HALTED" if halted else "ACTIVE"
        self.day_pnl: float = s.last_nav / s.sod_nav - 1.0 if s.sod_nav > 0 else 0.0
        self.flatten_pending: bool = halted and (s.last_flatten is None or s.last_flatten.ts < s.halted_ts)

    @property
    def threshold(self) -> float:
        """Kill-switch threshold as a day P&L fraction (``-0.025`` for the seed's 2.5 %)."""
        return -self._kill.daily_loss_pct / 100.0

    @property
    def quarantine_days(self) -> tuple[str, ...]:
        """Days that started as quarantine demo days, oldest first."""
        return self._state.quarantine_days

    @property
    def demo_days(self) -> tuple[str, ...]:
        """Days that started in demo because of a kill or a quarantine, oldest first."""
        return self._state.demo_days

    # --- marks ------------------------------------------------------------------------------------

    def mark(self, ts: int, nav: float) -> RiskUpdate:
        """Judge one marked NAV (realised plus unrealised) at engine time ``ts``.

        The first mark of a UTC day closes the previous day (SIP entry, start-of-day NAV) and applies the
        demo calendar; then the kill switch is checked. A mark stamped on a day before the current one
        (a redelivered event) is ignored.

        Raises
        ------
        RiskInputError
            ``nav`` is not a finite positive number.
        """
        q = self.quiet_mark
        # checked before the NAV's own checks: q[0] is a finite positive float, so an equal NAV is one too
        if q is not None and q[0] == nav and q[1] <= ts <= q[2]:
            return q[3]  # what _mark_unchanged returned for this very state, NAV and day, nothing to write
        today = (ts - 1) // NS_PER_DAY  # utc_day, inlined: a mark per step
        try:
            nav = float(nav)
        except (TypeError, ValueError) as e:
            raise RiskInputError(f"marked NAV must be a number, got {nav!r}") from e
        if not (math.isfinite(nav) and nav > 0):
            raise RiskInputError(f"marked NAV must be a finite positive number, got {nav!r}")
        unchanged = self._mark_unchanged(ts, today, nav)
        if unchanged is not None:
            return unchanged
        s = self._state
        changes = Changes()
        sip_entry = None
        new_day = None
        if self._day is None or today > self._day:
            s, sip_entry = self._start_day(s, today, ts, nav, changes)
            new_day = s.day
            pnl = nav / s.sod_nav - 1.0
            s = _replace(s, last_nav=nav, day_pnl_low=pnl)
        elif today < self._day:
            return self._finish(ts, changes)
        else:
            pnl = nav / s.sod_nav - 1.0
            s = _replace(s, last_nav=nav, day_pnl_low=min(s.day_pnl_low, pnl))
        flatten = False
        if not s.halted and kill_threshold_crossed(pnl, self._kill.daily_loss_pct):
            s = self._fire(s, ts, pnl, changes)
            flatten = True
        self._set_state(s)
        return self._finish(ts, changes, flatten=flatten, new_day=new_day, sip_entry=sip_entry)

    def _mark_unchanged(self, ts: int, today: int, nav: float) -> RiskUpdate | None:
        """The same NAV again on the same day (a flat book): when the mark would change nothing (the day's
        low already at or below it, the kill switch not crossed), what :meth:`mark` returns, without the
        state copies; only the interval write may be due. ``None``: take the full path."""
        s = self._state
        if today != self._day or nav != s.last_nav or s.halted or self._pending_alerts:
            return None
        pnl = nav / s.sod_nav - 1.0
        if s.day_pnl_low > pnl or kill_threshold_crossed(pnl, self._kill.daily_loss_pct):
            return None
        persisted = self._save(ts)
        pending, self._pending_alerts = tuple(self._pending_alerts), []
        update = RiskUpdate(alerts=pending, day_pnl=self.day_pnl, persisted=persisted)
        if persisted and not pending and self._state is s:  # nothing written: remember it for the next mark
            after, last = utc_day_span(today)  # the marks of the same UTC day
            first = after + 1
            if self._store is None or self._read_only or s == self._persisted:
                self.quiet_mark = (nav, first, last, update)  # no write can fall due while the state stays
            elif self._only_marks_changed():  # until the interval write falls due
                self.quiet_mark = (nav, first, min(last, self._saved_ts + self._mark_interval_ns - 1), update)
        return update

    def halt(self, ts: int, reason: str) -> RiskUpdate:
        """Fire the kill switch now, whatever the day P&L: the NAV cannot be marked (zero, negative, NaN).

        It never raises. The kill is recorded and persisted like any other (``flatten=True`` once); the
        last good NAV stays the day's mark. Already halted today: nothing changes.
        """
        today = utc_day(ts)
        changes = Changes()
        s = self._state
        sip_entry = None
        new_day = None
        if self._day is None or today > self._day:
            s, sip_entry = self._start_day(s, today, ts, s.last_nav if s.last_nav > 0 else 0.0, changes)
            new_day = s.day
        elif today < self._day:
            return self._finish(ts, changes)
        flatten = False
        if not s.halted:
            s = self._fire(s, ts, -1.0, changes, reason=reason)
            flatten = True
        self._set_state(s)
        return self._finish(ts, changes, flatten=flatten, new_day=new_day, sip_entry=sip_entry)

    def _start_day(
        self, s: RiskState, today: int, ts: int, nav: float, ch: Changes
    ) -> tuple[RiskState, SipEntry | None]:
        day = day_string(today)
        mode_before, was_halted, was_quarantine = self.mode, s.halted, s.quarantine_active
        entry = None
        ledger, balance = s.sip_ledger, s.sip_balance
        if s.day:
            closed_pnl = s.last_nav - s.sod_nav
            if closed_pnl > 0 and self._sip_pct > 0:
                entry = SipEntry(day=s.day, day_pnl=closed_pnl, amount=closed_pnl * self._sip_pct / 100.0)
                ledger, balance = ledger + (entry,), balance + entry.amount
            sod = s.last_nav
        else:
            sod = nav
        post_kill = s.demo_pending and not s.demo_override
        quarantine_today = s.quarantine_remaining > 0
        remaining = s.quarantine_remaining - 1 if quarantine_today else 0
        s = _replace(
            s,
            day=day,
            sod_nav=sod,
            last_nav=sod,
            sip_ledger=ledger,
            sip_balance=balance,
            trading_days=(s.trading_days + (day,))[-self._kill.quarantine_window_days :],
            demo_pending=False,
            demo_override=False,
            post_kill_demo=post_kill,
            quarantine_today=quarantine_today,
            quarantine_remaining=remaining,
            quarantine_started=s.quarantine_started if quarantine_today else "",
            demo_days=s.demo_days + ((day,) if post_kill or quarantine_today else ()),
            quarantine_days=s.quarantine_days + ((day,) if quarantine_today else ()),
        )
        self._day = today
        if was_halted:
            ch.trading(ts, "HALTED", "ACTIVE", f"new trading day {day}")
        if was_quarantine and not quarantine_today:
            ch.events.append(QuarantineChanged(ts_event=ts, active=False, reason="expired"))
            ch.alerts.append(alert(ts, "info", "quarantine_expired", "Demo quarantine expired"))
        if quarantine_today:
            message = quarantine_remaining_message(remaining + 1)
            ch.alerts.append(alert(ts, "warning", "quarantine_days_remaining", message))
        reason = "demo quarantine" if quarantine_today else "post-kill demo day" if post_kill else "demo over"
        self._set_state(s)
        self._mode_change(ts, ch, mode_before, reason)
        return s, entry

    def _fire(self, s: RiskState, ts: int, pnl: float, ch: Changes, reason: str = "") -> RiskState:
        threshold = self.threshold
        reason = reason or f"Daily P&L {round(pnl * 100.0, 2):g}% below threshold"
        s = _replace(
            s,
            halted_day=s.day,
            halted_ts=ts,
            kill_days=s.kill_days + (s.day,),
            demo_pending=True,
            demo_override=False,
            activations=s.activations + 1,
        )
        ch.events.append(
            KillSwitchTriggered(
                ts_event=ts, reason=reason, daily_pnl=pnl, threshold=threshold, trading_day=s.day
            )
        )
        ch.trading(ts, "ACTIVE", "HALTED", "kill switch")
        ch.alerts.append(alert(ts, "critical", "kill_switch_armed", KILL_SWITCH_MESSAGE, s.day))
        if self._kill.quarantine_demo_days > 0 and not s.quarantine_active:
            window = set(s.trading_days[-self._kill.quarantine_window_days :])
            kills = tuple(d for d in s.kill_days if d in window)
            if len(kills) >= self._kill.quarantine_kill_days:
                s = _replace(
                    s, quarantine_remaining=self._kill.quarantine_demo_days, quarantine_started=s.day
                )
                why = f"{len(kills)} kill-switch days in the last {len(window)} trading days"
                ch.events.append(
                    QuarantineChanged(ts_event=ts, active=True, reason=why, kill_switch_days=kills)
                )
                ch.alerts.append(alert(ts, "critical", "quarantine_active", QUARANTINE_MESSAGE, s.day))
        return s

    # --- operator and GPT-5 decisions -------------------------------------------------------------

    def record_override(self, ts: int, *, by: str, reason: str) -> RiskUpdate:
        """Record an operator override: post-kill demo days pending or in force now are lifted.

        It never lifts a quarantine, never un-halts a kill day and does not apply to later kills.
        """
        s = self._state
        mode_before = self.mode
        applied = s.demo_pending or s.post_kill_demo
        record = OverrideRecord(ts=ts, day=s.day, by=by, reason=reason, applied=applied)
        self._set_state(
            _replace(s, overrides=s.overrides + (record,), demo_override=s.demo_pending, post_kill_demo=False)
        )
        changes = Changes()
        self._mode_change(ts, changes, mode_before, f"operator override by {by}")
        return self._finish(ts, changes)

    def record_sanity_judge(self, ts: int, response: SanityJudgeResponse, *, call_id: str) -> RiskUpdate:
        """Record a SANITY_JUDGE answer; ``stay_demo`` false lifts quarantine and post-kill demo at once.

        An answer whose ``call_id`` was already recorded is ignored (a redelivered control message).
        The kill day itself stays halted.
        """
        s = self._state
        changes = Changes()
        if any(a.call_id == call_id for a in s.approvals):
            return self._finish(ts, changes)
        mode_before = self.mode
        lifts = not response.stay_demo
        cleared = lifts and (s.quarantine_active or s.demo_pending or s.post_kill_demo)
        if lifts and s.quarantine_active:
            window = set(s.trading_days)
            kills = tuple(d for d in s.kill_days if d in window)
            changes.events.append(
                QuarantineChanged(
                    ts_event=ts,
                    active=False,
                    reason="cleared by SANITY_JUDGE (stay_demo false)",
                    kill_switch_days=kills,
                    cleared_by=GPT5_CLEARED_BY,
                )
            )
            changes.alerts.append(alert(ts, "info", "quarantine_cleared", "Demo quarantine cleared by GPT-5"))
        record = ApprovalRecord(
            ts=ts, day=s.day, call_id=call_id, stay_demo=response.stay_demo, cleared=cleared
        )
        s = _replace(s, approvals=s.approvals + (record,))
        if lifts:
            s = _replace(
                s,
                quarantine_today=False,
                quarantine_remaining=0,
                quarantine_started="",
                demo_pending=False,
                demo_override=False,
                post_kill_demo=False,
            )
        self._set_state(s)
        self._mode_change(ts, changes, mode_before, "GPT-5 SANITY_JUDGE cleared demo")
        return self._finish(ts, changes)

    def force_demo(self, ts: int, *, by: str, reason: str) -> RiskUpdate:
        """An operator forces demo for the rest of the current trading day (the next day is unaffected)."""
        before = self.mode
        day = self._state.day or day_string(utc_day(ts))
        self._set_state(_replace(self._state, forced_demo_day=day))
        changes = Changes()
        self._mode_change(ts, changes, before, f"forced to demo by {by}: {reason}")
        return self._finish(ts, changes)

    def apply_command(self, ts: int, command: RiskCommand) -> RiskUpdate:
        """Apply one ``control`` risk command at engine time ``ts``, once per ``command_id``.

        Raises
        ------
        RiskInputError
            An ``approve`` without its SANITY_JUDGE answer or call id.
        """
        if command.command_id in self._state.commands:
            return self._finish(ts, Changes())
        if command.kind == "approve" and (command.answer is None or not command.call_id):
            raise RiskInputError(f"risk command {command.command_id}: approve needs answer and call_id")
        self._set_state(
            _replace(self._state, commands=(*self._state.commands, command.command_id)[-_COMMANDS_KEPT:])
        )
        if command.kind == "override":
            return self.record_override(ts, by=command.by, reason=command.reason)
        if command.kind == "approve":
            return self.record_sanity_judge(ts, command.answer, call_id=command.call_id)
        return self.force_demo(ts, by=command.by, reason=command.reason)

    def record_flatten(self, ts: int, reason: str) -> None:
        """Record that the caller flattened every position (after ``flatten=True``, or by hand)."""
        s = self._state
        self._set_state(_replace(s, last_flatten=FlattenRecord(ts=ts, reason=reason, day=s.day)))
        self._save(ts)

    # --- internals --------------------------------------------------------------------------------

    def _mode_change(self, ts: int, ch: Changes, before: Mode, why: str) -> None:
        ch.mode_change(ts, before, self.mode, why)

    def _finish(
        self,
        ts: int,
        ch: Changes,
        *,
        flatten: bool = False,
        new_day: str | None = None,
        sip_entry: SipEntry | None = None,
    ) -> RiskUpdate:
        persisted = self._save(ts)
        pending, self._pending_alerts = self._pending_alerts, []
        return ch.update(
            day_pnl=self.day_pnl,
            persisted=persisted,
            pending_alerts=pending,
            flatten=flatten,
            new_day=new_day,
            sip_entry=sip_entry,
        )

    def record_decided(self, ts: int, decided: dict[str, int]) -> bool:
        """Advance the decided mark of each instrument (never backwards) and write the state now.

        Parameters
        ----------
        ts : int
            Engine-clock nanoseconds (the latest decided bar's).
        decided : dict[str, int]
            Instrument -> event time of its latest bar whose step ran and whose outputs are acknowledged.

        Returns
        -------
        bool
            Whether the store holds the mark (a failure raises an alert at the next update, as any other).
        """
        merged = dict(self._state.decided)
        for instrument, bar_ts in decided.items():
            if bar_ts > merged.get(instrument, -1):
                merged[instrument] = bar_ts
        if merged == self._state.decided:
            return True
        self._set_state(_replace(self._state, decided=merged))
        return self.flush(ts)

    def flush(self, ts: int) -> bool:
        """Write the state now, including a NAV trail still waiting for its interval (call it at stop)."""
        self._saved_ts = ts - self._mark_interval_ns
        return self._save(ts)

    def _save(self, ts: int) -> bool:
        """Write the state when it differs from what the store holds; a failure is kept, not raised."""
        self.quiet_mark = None  # a write, a failure's alert or the interval's restart may follow
        if self._store is None or self._read_only or self._state == self._persisted:
            return True
        if self._only_marks_changed() and ts - self._saved_ts < self._mark_interval_ns:
            return True  # a new NAV alone waits for the interval (an fsync per bar is too slow for replay)
        version = (self._persisted.version if self._persisted is not None else 0) + 1
        state = _replace(self._state, version=version)
        raw = encode_risk_state(state)
        try:
            if isinstance(self._store, VersionedStateStore):
                self._store.compare_and_set(self._key, self._persisted_raw, raw)
            else:  # a store without compare-and-set: last writer wins
                self._store.put(self._key, raw)
        except StaleStateError as e:
            if self.persist_error is None:
                message = f"Risk state not persisted—changed by another writer: {e}"
                self._pending_alerts.append(alert(ts, "critical", "risk_state_conflict", message))
            self.persist_error = e
            return False
        except StateStoreError as e:
            if self.persist_error is None:
                message = f"Risk state not persisted—store unavailable: {e}"
                self._pending_alerts.append(alert(ts, "critical", "state_store_unavailable", message))
            self.persist_error = e
            return False
        self._set_state(state)
        self._persisted_raw = raw
        if self.persist_error is not None:
            self._pending_alerts.append(
                alert(ts, "info", "state_store_recovered", "Risk state persisted again")
            )
            self.persist_error = None
        self._persisted = self._state
        self._saved_ts = ts
        return True

    def _only_marks_changed(self) -> bool:
        p = self._persisted
        return p is not None and _replace(self._state, last_nav=p.last_nav, day_pnl_low=p.day_pnl_low) == p
