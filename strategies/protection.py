"""Re-protection of a position whose protective stop was rejected or denied.

A bracket's stop can be rejected "in the market" (a take-profit filled through the price leaves that side
of the venue's quote at the limit until the next price point, and a stop submitted then is already
through it); the venue cancels the take-profit with it. A trader never holds a position without a resting
stop, so the strategy raises a critical alert, counts it, and on its next portfolio step either

- submits the stop again at the same level (reduce-only stop-market, deterministic id with the next
  attempt number) when the market is still on the right side of it, or
- closes the position at market (reason ``stop_through``) when the last close is already through it.

A mixin of :class:`strategies.meta_ensemble.MetaEnsembleStrategy`; the engine simulator mirrors it
(:func:`engine.sim.exits.reprotect_stops`).
"""

from __future__ import annotations

import math

from nautilus_trader.model.enums import OrderSide, PositionSide, TimeInForce

from engine.risk.notices import alert
from strategies.order_ids import attempt_of


class ProtectionMixin:
    """Stops that failed, and the re-protection of their positions (see the module docstring)."""

    def _stop_failed(self, event, reason: str) -> None:
        """A protective stop was rejected or denied: alert now, re-protect on the next step."""
        instrument_id = event.instrument_id
        st = self._state.get(instrument_id)
        attempt = attempt_of(event.client_order_id) + 1
        if st is not None and instrument_id in self._unprotected and st.reprotect_attempt == attempt:
            return  # the same rejection seen again (Nautilus delivers it twice to the strategy)
        order = self.cache.order(event.client_order_id)
        self.journal.counters["stops_failed"] += 1
        self.outputs.alert(
            alert(
                event.ts_event,
                "critical",
                "stop_rejected",
                f"protective stop {event.client_order_id} for {instrument_id} {reason}: {event.reason}; "
                "the position is re-protected on the next step",
            )
        )
        if st is None or order is None:
            return
        st.stop_order = None
        st.reprotect_px = order.trigger_price.as_double()
        st.reprotect_attempt = attempt
        self._unprotected.add(instrument_id)

    def _reprotect_all(self, ts: int) -> None:
        """Called by the portfolio step (after trailing, before trims) while a position lacks its stop."""
        for instrument_id in sorted(self._unprotected, key=str):
            self._reprotect(instrument_id, self._state[instrument_id], ts)

    def _clear_reprotect(self, instrument_id, st) -> None:
        st.reprotect_px = math.nan
        self._unprotected.discard(instrument_id)

    def _reprotect(self, instrument_id, st, ts: int) -> None:
        positions = self.cache.positions_open(instrument_id=instrument_id, strategy_id=self.id)
        if not positions:  # closed meanwhile (a reversal, the kill switch)
            self._clear_reprotect(instrument_id, st)
            return
        position = positions[0]
        sign = 1.0 if position.side == PositionSide.LONG else -1.0
        trigger = st.reprotect_px
        self._clear_reprotect(instrument_id, st)
        if sign * (st.last_close - trigger) <= 0.0:  # the stop level is already through: close now
            self._close(instrument_id, st, ts, "flatten", "stop_through")
            self.journal.counters["reprotect_closes"] += 1
            self.outputs.alert(
                alert(ts, "critical", "stop_through", f"{instrument_id}: stop level {trigger} is through")
            )
            return
        order_id = self._order_id(instrument_id, ts, "stop", st.reprotect_attempt)
        if order_id is None:  # sent before a restart
            return
        instrument = self.cache.instrument(instrument_id)
        order = self.order_factory.stop_market(
            instrument_id=instrument_id,
            order_side=OrderSide.SELL if sign > 0 else OrderSide.BUY,
            quantity=position.quantity,
            trigger_price=instrument.make_price(trigger),
            time_in_force=TimeInForce.GTC,
            reduce_only=True,
            tags=["reprotect"],
            client_order_id=order_id,
        )
        st.stop_order = order
        self.submit_order(order, position_id=position.id, client_id=st.route)
        self.risk.budget.record(ts)
        self.journal.counters["stops_resubmitted"] += 1
