"""What the strategy does when risk says so: kill-switch flatten, drift trims, stall handling, denials.

A mixin of :class:`strategies.meta_ensemble.MetaEnsembleStrategy`; it uses the strategy's ``risk`` desk,
instrument state and Nautilus order API. Orders that reduce risk go to the client the position's orders
went to (``st.route``), so a mode change never strands a position on another client.
"""

from __future__ import annotations

from datetime import timedelta

from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.events import OrderDenied, OrderFilled
from nautilus_trader.model.identifiers import InstrumentId

from engine.risk.notices import alert
from strategies.trade_journal import fill_message


def quantity_for(instrument, value: float):
    """``value`` rounded down to the size increment, or ``None`` when that is zero or under the minimum."""
    if not value >= instrument.size_increment.as_double():
        return None
    quantity = instrument.make_qty(value, round_down=True)
    minimum = instrument.min_quantity  # equities have none
    return None if minimum is not None and quantity < minimum else quantity


class RiskActionsMixin:
    """Risk actions of the meta-ensemble strategy (see the module docstring)."""

    def _trading_state(self, state: str) -> None:
        if self._set_trading_state is not None:
            self._set_trading_state(state)

    def _kill(self, ts: int) -> None:
        """Kill switch: cancel every working order, flatten every position, then halt the node."""
        for instrument_id, st in self._state.items():
            self.cancel_all_orders(instrument_id, client_id=st.route)
            if self._position_sign(instrument_id) != 0:
                self.close_all_positions(instrument_id, client_id=st.route, tags=["kill_switch"])
                self.risk.budget.record(ts)
            st.stop_order = None
        self.risk.record_flatten(ts, "kill_switch")
        self._trading_state("HALTED")  # after the flatten orders, which HALTED would deny

    def _trim_drift(self, ts: int, nav: float, notionals: dict[str, float]) -> None:
        """Cut positions that drifted above their caps back under them (reduce-only market orders)."""
        if not any(notionals.values()):
            return
        for trim in self.risk.trims(self.risk.book(nav, notionals)):
            instrument_id = InstrumentId.from_str(trim.instrument)
            st = self._state[instrument_id]
            if self._trim_pending(instrument_id):
                continue
            instrument = self.cache.instrument(instrument_id)
            quantity = quantity_for(instrument, abs(trim.current - trim.target) * nav / st.last_close)
            if quantity is None:
                continue
            side = OrderSide.SELL if trim.current > 0 else OrderSide.BUY
            order = self.order_factory.market(instrument_id, side, quantity, reduce_only=True, tags=["trim"])
            self._trim_ids.add(order.client_order_id)
            self.submit_order(order, client_id=st.route)
            self.risk.budget.record(ts)
            self.journal.counters["trims"] += 1

    def _trim_pending(self, instrument_id: InstrumentId) -> bool:
        orders = self.cache.orders_open(instrument_id=instrument_id, strategy_id=self.id)
        orders += self.cache.orders_inflight(instrument_id=instrument_id, strategy_id=self.id)
        return any(o.client_order_id in self._trim_ids for o in orders)

    def on_order_filled(self, event: OrderFilled) -> None:
        self.outputs.hold_fill(fill_message(event, event.position_id.value if event.position_id else ""))
        if event.client_order_id not in self._trim_ids:
            return
        # the resting stop and take-profit must shrink with the position, or they would flip it
        instrument_id = event.instrument_id
        remaining = abs(float(self.portfolio.net_position(instrument_id)))
        instrument = self.cache.instrument(instrument_id)
        route = self._state[instrument_id].route
        for order in self.cache.orders_open(instrument_id=instrument_id, strategy_id=self.id):
            if order.is_reduce_only and remaining > 0.0 and order.quantity.as_double() > remaining:
                self.modify_order(order, quantity=instrument.make_qty(remaining), client_id=route)

    def on_order_denied(self, event: OrderDenied) -> None:
        order = self.cache.order(event.client_order_id)
        tags = set(order.tags or ()) if order is not None else set()
        self.journal.counters["orders_denied"] += 1
        if tags & {"kill_switch", "signal_reversal", "trim"}:
            self.journal.counters["flatten_denied"] += 1
            self.outputs.alert(
                alert(event.ts_event, "critical", "flatten_denied", f"flatten order denied: {event.reason}")
            )

    # ------------------------------------------------------------------ data stall
    def _start_stall_timer(self) -> None:
        timeout_bars = self.cfg.risk.data_stall.timeout_bars
        self._stall_timeout = {i: int(st.interval_ns * timeout_bars) for i, st in self._state.items()}
        self._started_ts = self.clock.timestamp_ns()
        check_ns = max(
            min(st.interval_ns for st in self._state.values()), min(self._stall_timeout.values()) // 2
        )
        self.clock.set_timer(
            "aureus-data-stall", timedelta(microseconds=check_ns // 1_000), callback=self._check_stall
        )

    def _check_stall(self, event) -> None:
        now = event.ts_event
        for instrument_id, st in self._state.items():
            last = st.last_bar_ts if st.last_bar_ts >= 0 else self._started_ts
            if now - last <= self._stall_timeout[instrument_id]:
                continue
            if self.risk.stall(now, instrument_id.value):
                # hold positions and keep their stops; only orders that would open risk are cancelled
                for order in self.cache.orders_open(instrument_id=instrument_id, strategy_id=self.id):
                    if not order.is_reduce_only:
                        self.cancel_order(order, client_id=st.route)
                        self.journal.counters["stall_entries_cancelled"] += 1
