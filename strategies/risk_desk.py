"""The strategy's risk desk: pure risk components wired to one strategy's view of its book.

It owns the supervisor (kill switch, quarantine, mode, SIP; persisted through the state store), the
resolved limits of the current mode, the order-rate budget, ADV trackers for the penny rule, data-stall
bookkeeping and the failure-mode hooks. It decides; the strategy acts (submits, cancels, flattens). Every
outcome is reported: risk events and alerts through the strategy's outputs (its event sink), clamp
counters in the journal.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from engine.config import AureusConfig
from engine.risk.book import Book, Holding
from engine.risk.clamp import OrderRequest, Verdict, assess, drift_trims
from engine.risk.failsafe import FailureModes
from engine.risk.limits import Limits, resolve_limits
from engine.risk.notices import alert
from engine.risk.order_rate import OrderRateBudget
from engine.risk.penny import DailyValueTracker
from engine.risk.routing import Route, route_for
from engine.risk.supervisor import RiskSupervisor, RiskUpdate
from engine.state import StateStore
from schemas.recording import InstrumentSpec
from schemas.risk import ClampHit, TradingStateChanged

if TYPE_CHECKING:
    from strategies.outputs import StrategyOutputs

_INF = math.inf


class RiskDesk:
    """Risk state and decisions for one strategy; every method reads time from its ``ts`` argument."""

    def __init__(
        self,
        cfg: AureusConfig,
        specs: dict[str, InstrumentSpec],
        outputs: StrategyOutputs,
        *,
        store: StateStore | None,
        venue_is_paper: bool,
        mark_persist_interval_ns: int = 0,
    ) -> None:
        self.cfg = cfg
        self.specs = specs
        self.outputs = outputs
        self.journal = outputs.journal
        self.supervisor = RiskSupervisor(
            cfg.risk, cfg.mode, store=store, mark_persist_interval_ns=mark_persist_interval_ns
        )
        self.failsafe = FailureModes()
        self.budget = OrderRateBudget(
            cfg.risk.order_rate.max_submit_per_s, cfg.risk.order_rate.flatten_reserve_pct
        )
        self.adv = {i: DailyValueTracker(cfg.risk.penny.adv_days) for i in specs}
        self.stalled: set[str] = set()
        self._venue_is_paper = venue_is_paper
        self.limits: Limits = self._limits_for(self.supervisor.mode)
        self.route: Route = route_for(self.supervisor.mode, cfg.execution, venue_is_paper=venue_is_paper)

    def _limits_for(self, mode: str) -> Limits:
        return resolve_limits(self.cfg.risk, mode, allow_short=self.cfg.policy.allow_short)

    # ------------------------------------------------------------------ marks and day roll
    def mark(self, ts: int, nav: float) -> RiskUpdate:
        """Mark the book at NAV (realised + unrealised) once per timestamp; report what happened.

        A NAV at or below zero or not finite cannot be marked: the kill switch fires (flatten and halt)
        with a critical alert, and nothing raises."""
        q = self.supervisor.quiet_mark  # a repeated mark that changes nothing (most steps of a flat book)
        if q is not None and q[0] == nav and q[1] <= ts <= q[2]:
            return q[3]
        if not 0.0 < nav < _INF:  # not finite and positive (NaN fails both comparisons)
            self.outputs.alert(
                alert(ts, "critical", "nav_invalid", f"NAV {nav!r} cannot be marked—flattening")
            )
            update = self.supervisor.halt(ts, f"NAV {nav!r} at or below zero or not finite")
        else:
            update = self.supervisor.mark(ts, nav)
        if update.mode is not None:
            self.limits = self._limits_for(update.mode)
            self.route = route_for(update.mode, self.cfg.execution, venue_is_paper=self._venue_is_paper)
        if update.events or update.alerts:
            self._journal_update(update)
        return update

    def apply_command(self, ts: int, command) -> RiskUpdate:
        """Apply a ``control`` risk command (:class:`schemas.control.RiskCommand`); report what changed.

        Raises
        ------
        RiskInputError
            The command is invalid (an approve without its answer).
        """
        return self.absorb(self.supervisor.apply_command(ts, command))

    def absorb(self, update: RiskUpdate) -> RiskUpdate:
        """Take a supervisor result: a new mode brings its limits and route; events and alerts go out."""
        if update.mode is not None:
            self.limits = self._limits_for(update.mode)
            self.route = route_for(update.mode, self.cfg.execution, venue_is_paper=self._venue_is_paper)
        self._journal_update(update)
        return update

    def _journal_update(self, update: RiskUpdate) -> None:
        for event in update.events:
            self.outputs.risk(event)
        self.outputs.alerts(update.alerts)

    def record_flatten(self, ts: int, reason: str) -> None:
        self.supervisor.record_flatten(ts, reason)
        self.journal.counters[f"flatten_{reason}"] += 1

    @property
    def mode(self) -> str:
        return self.supervisor.mode

    @property
    def halted(self) -> bool:
        return self.supervisor.halted

    def sizing_nav(self, nav: float) -> float:
        """NAV available for sizing: the SIP balance is set aside and never traded."""
        return nav - self.supervisor.state.sip_balance

    # ------------------------------------------------------------------ pre-submit clamp
    def book(self, nav: float, signed_notionals: dict[str, float]) -> Book:
        holdings = tuple(
            Holding(
                instrument=instrument,
                bucket=self.specs[instrument].bucket,
                sector=self.specs[instrument].sector,
                notional=notional,
            )
            for instrument, notional in signed_notionals.items()
            if notional != 0.0
        )
        return Book(nav=nav, holdings=holdings)

    def assess_entry(
        self, ts: int, instrument: str, side: int, size: float, price: float, book: Book
    ) -> Verdict:
        """Clamp a proposed entry (fraction of NAV) before it is submitted; journal any clamp hit."""
        spec = self.specs[instrument]
        blocked = ""
        if self.halted:
            blocked = "kill_switch_halted"
        elif instrument in self.stalled:
            blocked = "data_stall"
        elif not self.budget.entry_allowed(ts):
            blocked = "order_rate_reserve"
        request = OrderRequest(
            instrument=instrument,
            bucket=spec.bucket,
            sector=spec.sector,
            side=side,
            size=size,
            price=price,
            venue=instrument.rsplit(".", 1)[-1],
            adv=self.adv[instrument].adv,
        )
        verdict = assess(request, book, self.limits, blocked=blocked)
        if verdict.status != "approved":
            kind = "clamp_reductions" if verdict.status == "reduced" else "clamp_rejections"
            self.journal.counters[kind] += 1
            self.journal.clamp_reasons[f"{verdict.status}:{verdict.binding}"] += 1
            self.outputs.risk(
                ClampHit(
                    instrument=instrument,
                    ts_event=ts,
                    clamp=verdict.binding,
                    reason=f"{verdict.status} by {verdict.binding} in mode {self.mode}",
                    requested=verdict.requested,
                    allowed=verdict.approved,
                    limit=0.0 if math.isnan(verdict.limit) else verdict.limit,
                    bucket=spec.bucket,
                )
            )
        return verdict

    def trims(self, book: Book):
        """Positions that drifted above their caps, with the target each must be cut back to."""
        return drift_trims(book, self.limits)

    # ------------------------------------------------------------------ data stall
    def stall(self, ts: int, instrument: str) -> bool:
        """Mark an instrument's feed stalled; True the first time (the caller cancels pending entries)."""
        if instrument in self.stalled:
            return False
        self.stalled.add(instrument)
        self.journal.counters["data_stalls"] += 1
        self.outputs.risk(
            TradingStateChanged(
                ts_event=ts, previous="ACTIVE", current="REDUCING", reason="data_stall", instrument=instrument
            )
        )
        self.outputs.alerts(self.failsafe.data_stalled(ts))
        return True

    def resume(self, ts: int, instrument: str) -> None:
        if instrument not in self.stalled:
            return
        self.stalled.discard(instrument)
        self.outputs.risk(
            TradingStateChanged(
                ts_event=ts,
                previous="REDUCING",
                current="ACTIVE",
                reason="data_resumed",
                instrument=instrument,
            )
        )
        if not self.stalled:
            self.outputs.alerts(self.failsafe.data_resumed(ts))
