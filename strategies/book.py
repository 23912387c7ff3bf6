"""The meta-ensemble strategy's view of its book: positions, the trade log, NAV and the equity row.

A mixin of :class:`strategies.meta_ensemble.MetaEnsembleStrategy`. NAV is cash plus open positions
marked at each instrument's last close; a book that cannot be valued gives NaN (the kill switch then
fires). Closed trades and the equity row go out through the strategy's outputs.
"""

from __future__ import annotations

import math

import msgspec
from nautilus_trader.model.events import PositionClosed, PositionOpened

from engine.exposure import exposure
from engine.journal import EquityRow
from strategies.trade_journal import trade_entry

_replace = msgspec.structs.replace
# a flat book's row but for its time, NAV, day P&L and mode: replace() fills those five fields (~30 % cheaper
# than building the 11-field keyword-only struct)
_FLAT_ROW = EquityRow(
    ts=0,
    nav=0.0,
    day_pnl_pct=0.0,
    gross_exposure_pct=0.0,
    net_exposure_pct=0.0,
    max_name_exposure_pct=0.0,
    bucket_core_pct=0.0,
    bucket_penny_pct=0.0,
    bucket_fno_pct=0.0,
    mode="",
    halted=0,
)


class BookMixin:
    """Positions, trade log, accounting (see the module docstring)."""

    def on_position_opened(self, event: PositionOpened) -> None:
        st = self._state[event.instrument_id]
        if st.entry is None:  # opened by something other than our entry: log it, never hide it
            self.journal.counters["position_opened_without_entry"] += 1

    def on_position_closed(self, event: PositionClosed) -> None:
        st = self._state[event.instrument_id]
        position = self.cache.position(event.position_id)
        self._log_trade(
            st,
            event.position_id.value,
            event.entry,
            event.avg_px_open,
            event.avg_px_close,
            event.ts_opened,
            event.ts_closed,
            event.realized_pnl.as_double(),
            position,
        )
        st.entry = None
        st.stop_order = None
        self._record_flat_book(event.ts_closed)

    def _log_trade(
        self, st, position_id, entry_side, entry_px, exit_px, ts_opened, ts_closed, pnl, position=None
    ) -> None:
        st.trades += 1
        self.outputs.hold_trade(
            ts_opened if ts_closed is None else ts_closed,
            st.spec.instrument_id,
            trade_entry(
                st.spec,
                st.entry,
                mode=self.risk.mode,
                policy_version=self.cfg.policy.version,
                trade_id=f"{position_id}-{st.trades}",
                entry_side=entry_side,
                entry_px=entry_px,
                exit_px=exit_px,
                ts_opened=ts_opened,
                ts_closed=ts_closed,
                pnl=pnl,
                position=position,
            ),
        )

    # ------------------------------------------------------------------ accounting
    def _position_sign(self, instrument_id) -> int:
        qty = self.portfolio.net_position(instrument_id)
        return 0 if qty == 0 else (1 if qty > 0 else -1)

    def _entry_price(self, instrument_id) -> float | None:
        positions = self.cache.positions_open(instrument_id=instrument_id, strategy_id=self.id)
        return positions[0].avg_px_open if positions else None

    def _book_changed(self, _event=None) -> None:
        """Forget the cached cash, positions and net quantities: the book may have moved.

        Called for every event the strategy receives (fills, position and order events) and every account
        state the portfolio publishes (``events.account.*``: fills of any strategy, venue updates), so the
        next :meth:`_nav` / :meth:`_signed_notionals` asks Nautilus again. Between such events neither the
        balances nor a position's quantity or average price can change."""
        self._cash = None

    def on_event(self, event) -> None:
        self._book_changed()

    def _refresh_book(self) -> float:
        """Read cash, open positions and net quantities from Nautilus (what :meth:`_nav` and
        :meth:`_signed_notionals` reuse until :meth:`_book_changed`); the cash, NaN without an account."""
        self._held = [
            (position, self._state[position.instrument_id])
            for position in self.cache.positions_open(strategy_id=self.id)
        ]
        net = [(st, float(self.portfolio.net_position(i))) for i, st in self._state.items()]
        self._net = net if any(qty for _, qty in net) else None
        cash = 0.0
        for venue, currency in self._venue_currency.items():
            account = self.portfolio.account(venue)
            balance = account.balance_total(currency) if account is not None else None
            if balance is None:  # no account yet: the book cannot be valued (the kill switch fires)
                return math.nan
            cash += balance.as_double()
        self._cash = cash
        return cash

    def _signed_notionals(self) -> dict[str, float]:
        """Signed notional per instrument at its last close; a flat book shares one all-zero dict (every
        caller only reads it)."""
        if self._cash is None:
            self._refresh_book()
        net = self._net
        if net is None:
            flat = self._flat_notionals
            if flat is None or len(flat) != len(self._state):
                flat = self._flat_notionals = {st.spec.instrument_id: 0.0 for st in self._state.values()}
            return flat
        return {st.spec.instrument_id: qty * st.last_close if qty else 0.0 for st, qty in net}

    def _nav(self) -> float:
        """Cash plus open positions marked at their instrument's last close (a flat book: its cash)."""
        nav = self._cash
        if nav is None:
            nav = self._refresh_book()
            if nav != nav:  # NaN: no account yet, nothing cached
                return nav
        for position, st in self._held:
            nav += position.signed_qty * (st.last_close - position.avg_px_open)
        return nav

    def _record_equity(self, ts: int, nav: float, notionals: dict[str, float]) -> None:
        supervisor = self.risk.supervisor
        if notionals is self._flat_notionals:  # a flat book (most steps): every exposure is zero (FLAT)
            self.outputs.equity(
                _replace(
                    _FLAT_ROW,
                    ts=ts,
                    nav=nav,
                    day_pnl_pct=supervisor.day_pnl * 100.0,  # against the supervisor's start-of-day NAV
                    mode=supervisor.mode,
                    halted=1 if supervisor.halted else 0,
                )
            )
            return
        expo = exposure(notionals, self._buckets, nav)
        buckets = expo.bucket_pct
        self.outputs.equity(
            EquityRow(
                ts=ts,
                nav=nav,
                day_pnl_pct=supervisor.day_pnl * 100.0,  # against the supervisor's start-of-day NAV
                gross_exposure_pct=expo.gross_pct,
                net_exposure_pct=expo.net_pct,
                max_name_exposure_pct=expo.max_name_pct,
                bucket_core_pct=buckets["core"],
                bucket_penny_pct=buckets["penny"],
                bucket_fno_pct=buckets["fno"],
                mode=supervisor.mode,
                halted=1 if supervisor.halted else 0,
            )
        )
