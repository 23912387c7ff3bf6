"""The meta-ensemble strategy's view of its book: positions, the trade log, NAV and the equity row.

A mixin of :class:`strategies.meta_ensemble.MetaEnsembleStrategy`. NAV is cash plus open positions
marked at each instrument's last close; a book that cannot be valued gives NaN (the kill switch then
fires). Closed trades and the equity row go out through the strategy's outputs.
"""

from __future__ import annotations

import math

from nautilus_trader.model.events import PositionClosed, PositionOpened

from engine.exposure import exposure
from engine.journal import EquityRow
from strategies.trade_journal import trade_entry


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

    def _signed_notionals(self) -> dict[str, float]:
        out = {}
        for instrument_id, st in self._state.items():
            qty = float(self.portfolio.net_position(instrument_id))
            out[st.spec.instrument_id] = qty * st.last_close if qty else 0.0
        return out

    def _nav(self) -> float:
        nav = 0.0
        for venue, currency in self._venue_currency.items():
            account = self.portfolio.account(venue)
            balance = account.balance_total(currency) if account is not None else None
            if balance is None:  # no account yet: the book cannot be valued (the kill switch fires)
                return math.nan
            nav += balance.as_double()
        for position in self.cache.positions_open(strategy_id=self.id):
            last = self._state[position.instrument_id].last_close
            nav += position.signed_qty * (last - position.avg_px_open)
        return nav

    def _record_equity(self, ts: int, nav: float, notionals: dict[str, float]) -> None:
        expo = exposure(notionals, self._buckets, nav)
        self.outputs.equity(
            EquityRow(
                ts=ts,
                nav=nav,
                day_pnl_pct=self.risk.supervisor.day_pnl * 100.0,  # against the supervisor's start-of-day NAV
                gross_exposure_pct=expo.gross_pct,
                net_exposure_pct=expo.net_pct,
                max_name_exposure_pct=expo.max_name_pct,
                bucket_core_pct=expo.bucket_pct["core"],
                bucket_penny_pct=expo.bucket_pct["penny"],
                bucket_fno_pct=expo.bucket_pct["fno"],
                mode=self.risk.mode,
                halted=int(self.risk.halted),
            )
        )
