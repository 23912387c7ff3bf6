"""What the strategy does when risk says so: flattens, the kill switch, drift trims, stalls, denials.

A mixin of :class:`strategies.meta_ensemble.MetaEnsembleStrategy`; it uses the strategy's ``risk`` desk,
instrument state and Nautilus order API. Orders that reduce risk go to the client the position's orders
went to (``st.route``), so a mode change never strands a position on another client. Every order has a
deterministic client order id (:mod:`strategies.order_ids`): one already in the cache was sent before
(a restart) and is never sent again. A flatten counts as done only once the book is flat on the fills; a
denied or rejected close is sent again after a backoff on the engine clock, with a critical alert each
time, until the position is gone.
"""

from __future__ import annotations

import math
from functools import partial

from nautilus_trader.model.enums import OrderSide, TimeInForce
from nautilus_trader.model.events import OrderDenied, OrderFilled, OrderRejected
from nautilus_trader.model.identifiers import InstrumentId

from engine.risk.notices import alert
from engine.risk.stall_timeout import stall_timeout_ns
from strategies.order_ids import attempt_of, client_order_id, decision_ts_of, purpose_of
from strategies.trade_journal import fill_message

_CLOSE_PURPOSES = ("flatten", "kill")
_STALL_TIMER = "aureus-data-stall"


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

    def _order_id(self, instrument_id, ts: int, purpose: str, attempt: int = 0):
        """The deterministic id, or ``None`` when the cache already has it (sent before a restart)."""
        order_id = client_order_id(self.id.value, instrument_id.value, ts, purpose, attempt)
        if self.cache.order(order_id) is not None:
            self.journal.counters["orders_already_sent"] += 1
            return None
        return order_id

    def _close(self, instrument_id, st, ts: int, purpose: str, reason: str, attempt: int = 0) -> bool:
        """Send reduce-only market orders closing the instrument's open positions; True if any was sent."""
        sent = False
        nav = self.risk.supervisor.state.last_nav  # the last marked NAV (the current one may be unmarkable)
        for position in self.cache.positions_open(instrument_id=instrument_id, strategy_id=self.id):
            # the intent's size is the position's share of that NAV (0 when there is none)
            share = (
                abs(position.signed_qty * st.last_close) / nav if nav > 0.0 and math.isfinite(nav) else 0.0
            )
            share = share if math.isfinite(share) else 0.0
            order_id = self._order_id(instrument_id, ts, purpose, attempt)
            if order_id is None:
                continue
            order = self.order_factory.market(
                instrument_id=instrument_id,
                order_side=OrderSide.SELL if position.signed_qty > 0 else OrderSide.BUY,
                quantity=position.quantity,
                time_in_force=TimeInForce.GTC,
                reduce_only=True,
                tags=[reason],
                client_order_id=order_id,
            )
            self._emit_intent(
                instrument_id,
                ts,
                order_id.value,
                1 if order.side == OrderSide.BUY else -1,
                share,
                share,
                st.last_close,
                (reason,),
            )
            self.submit_order(order, position_id=position.id, client_id=st.route)
            self.risk.budget.record(ts)
            sent = True
        return sent

    def _flatten(self, instrument_id, st, reason: str, ts: int) -> None:
        """Cancel the instrument's working orders and close its position (a signal reversal)."""
        self.cancel_all_orders(instrument_id, client_id=st.route)
        self._close(instrument_id, st, ts, "flatten", reason)
        st.stop_order = None
        self.journal.counters[f"flatten_{reason}"] += 1

    def _kill(self, ts: int) -> None:
        """Kill switch: cancel every working order, close every position, then halt the node.

        The flatten is recorded when the book is flat (at once if it already is, else on the fill that
        closes the last position)."""
        for instrument_id, st in self._state.items():
            self.cancel_all_orders(instrument_id, client_id=st.route)
            self._close(instrument_id, st, ts, "kill", "kill_switch")
            st.stop_order = None
        self._flattening = "kill_switch"
        self._trading_state("HALTED")  # after the flatten orders, which HALTED would deny
        self._record_flat_book(ts)

    def _record_flat_book(self, ts: int) -> None:
        if self._flattening and not self.cache.positions_open(strategy_id=self.id):
            self.risk.record_flatten(ts, self._flattening)
            self._flattening = None

    def _close_failed(self, event, reason: str) -> None:
        """A close was denied or rejected: a critical alert, and the same close again after a backoff."""
        order = self.cache.order(event.client_order_id)
        purpose = purpose_of(event.client_order_id)
        self.journal.counters["flatten_denied"] += 1
        self.outputs.alert(
            alert(event.ts_event, "critical", "flatten_denied", f"flatten order {reason}: {event.reason}")
        )
        if purpose not in _CLOSE_PURPOSES or order is None:
            return
        attempt = attempt_of(event.client_order_id) + 1
        node = self.cfg.node
        delay_s = min(node.flatten_retry_s * 2 ** (attempt - 1), node.flatten_retry_max_s)
        instrument_id = event.instrument_id
        decision_ts = decision_ts_of(order.client_order_id)
        self.clock.set_time_alert_ns(
            f"aureus-close-retry-{instrument_id.value}-{purpose}-{attempt}",
            event.ts_event + int(delay_s * 1_000_000_000),
            callback=partial(self._retry_close, instrument_id, purpose, order.tags[0], attempt, decision_ts),
        )

    def _retry_close(self, instrument_id, purpose: str, reason: str, attempt: int, decision_ts: int, event):
        st = self._state[instrument_id]
        self.journal.counters["close_retries"] += 1
        if not self.cache.positions_open(instrument_id=instrument_id, strategy_id=self.id):
            self._record_flat_book(event.ts_event)
            return
        halted = self.risk.halted
        if halted:  # HALTED denies every order; REDUCING lets a reduce-only close through
            self._trading_state("REDUCING")
        self._close(instrument_id, st, decision_ts, purpose, reason, attempt)
        if halted:
            self._trading_state("HALTED")

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
            order_id = self._order_id(instrument_id, ts, "trim")
            if order_id is None:
                continue
            side = OrderSide.SELL if trim.current > 0 else OrderSide.BUY
            order = self.order_factory.market(
                instrument_id, side, quantity, reduce_only=True, tags=["trim"], client_order_id=order_id
            )
            size = abs(trim.current - trim.target)
            self._emit_intent(
                instrument_id,
                ts,
                order_id.value,
                -1 if trim.current > 0 else 1,
                size,
                size,
                st.last_close,
                ("trim",),
            )
            self.submit_order(order, client_id=st.route)
            self.risk.budget.record(ts)
            self.journal.counters["trims"] += 1

    def _trim_pending(self, instrument_id: InstrumentId) -> bool:
        orders = self.cache.orders_open(instrument_id=instrument_id, strategy_id=self.id)
        orders += self.cache.orders_inflight(instrument_id=instrument_id, strategy_id=self.id)
        return any(purpose_of(o.client_order_id) == "trim" for o in orders)

    def on_order_filled(self, event: OrderFilled) -> None:
        self.journal.fills += 1
        self.outputs.hold_fill(fill_message(event, event.position_id.value if event.position_id else ""))
        if purpose_of(event.client_order_id) != "trim":
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
        self.journal.counters["orders_denied"] += 1
        purpose = purpose_of(event.client_order_id)
        if purpose in (*_CLOSE_PURPOSES, "trim"):
            self._close_failed(event, "denied")
        elif purpose == "stop":  # strategies.protection
            self._stop_failed(event, "denied")

    def on_order_rejected(self, event: OrderRejected) -> None:
        self.journal.counters["orders_rejected"] += 1
        purpose = purpose_of(event.client_order_id)
        if purpose in (*_CLOSE_PURPOSES, "trim"):
            self._close_failed(event, "rejected")
        elif purpose == "stop":  # strategies.protection
            self._stop_failed(event, "rejected")

    # ------------------------------------------------------------------ data stall
    def _start_stall_timer(self) -> None:
        """Stalls are checked on a grid of ticks every ``check`` ns from the start. Only the ticks at which
        some feed could first be silent too long are armed (one time alert at a time, re-armed when it fires
        and when a stalled feed resumes): every other tick would find nothing, and a periodic timer firing
        them all cost about 15 µs a bar in replay."""
        timeout_bars = self.cfg.risk.data_stall.timeout_bars
        self._stall_timeout = {i: stall_timeout_ns(st.spec, timeout_bars) for i, st in self._state.items()}
        self._started_ts = self.clock.timestamp_ns()
        check_ns = max(
            min(st.interval_ns for st in self._state.values()), min(self._stall_timeout.values()) // 2
        )
        self._stall_step_ns = check_ns // 1_000 * 1_000  # the periodic timer's microsecond interval
        # per feed, built once: InstrumentId.value builds a new str and hashing an InstrumentId hashes it
        self._stall_feeds = [
            (instrument_id, st, st.spec.instrument_id, self._stall_timeout[instrument_id])
            for instrument_id, st in self._state.items()
        ]
        self._stall_alert_ts: int | None = None
        self._arm_stall_check()

    def _arm_stall_check(self) -> None:
        """Arm the first grid tick at which a feed not stalled yet is silent for longer than its timeout."""
        t0, step = self._started_ts, self._stall_step_ns
        due = None
        stalled = self.risk.stalled
        for _, st, name, timeout in self._stall_feeds:
            if name in stalled:  # a stalled feed is re-armed when it resumes
                continue
            last = st.last_bar_ts if st.last_bar_ts >= 0 else t0
            tick = t0 + max(1, (last + timeout - t0) // step + 1) * step
            due = tick if due is None else min(due, tick)
        self._stall_alert_ts = due
        if due is not None:
            self.clock.set_time_alert_ns(_STALL_TIMER, due, callback=self._check_stall)

    def _check_stall(self, event) -> None:
        now = event.ts_event
        self._stall_alert_ts = None
        for instrument_id, st, name, timeout in self._stall_feeds:
            last = st.last_bar_ts if st.last_bar_ts >= 0 else self._started_ts
            if now - last <= timeout:
                continue
            if self.risk.stall(now, name):
                # hold positions and keep their stops; only orders that would open risk are cancelled
                for order in self.cache.orders_open(instrument_id=instrument_id, strategy_id=self.id):
                    if not order.is_reduce_only:
                        self.cancel_order(order, client_id=st.route)
                        self.journal.counters["stall_entries_cancelled"] += 1
        self._arm_stall_check()
