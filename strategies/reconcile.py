"""Rebuild what the strategy knows about an open position from the Nautilus cache alone (a restart).

Nothing here reads strategy memory: the entry decision comes from the entry order's tag, the resting stop
and pending trims from open orders and their deterministic ids, the route from the entry decision, and
the trailing high-water mark from the stop itself. A node restarted after ``kill -9`` with its cache in
Redis thus keeps routing reduce-risk orders to the client that holds the position and keeps trailing.

The best close since entry is not in the cache; it is rebuilt as the tightest value the resting stop
proves: a stop trailed to ``trigger`` means the best close reached ``trigger + distance`` (long). Until the
next bar the trail can therefore only lag, never loosen, a stop.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from nautilus_trader.model.enums import OrderType, PositionSide
from nautilus_trader.model.identifiers import ClientId, ClientOrderId, InstrumentId, StrategyId

from engine.risk.notices import alert
from strategies.order_ids import EntryRecord, entry_from_tags, purpose_of


class RebuiltPosition(NamedTuple):
    """The strategy's view of one open position, as far as the cache proves it."""

    entry: EntryRecord | None
    """The decision that opened it; ``None`` when the opening order carries none (not ours)."""
    stop_order: object | None
    """The resting stop-market order protecting it, if any."""
    route: ClientId | None
    """Execution client its orders went to (``None``: venue routing, as when it was opened)."""
    best_close: float
    """Trailing high-water mark (low-water for a short)."""
    entry_atr: float
    """ATR at entry (sets the trailing distance); NaN when unknown."""
    last_price: float
    """The last fill price: the position's mark until the next bar."""
    pending_trims: tuple[ClientOrderId, ...]
    """Trim orders still open or in flight."""
    kill_orders: tuple[ClientOrderId, ...]
    """Kill-switch closes still open or in flight."""


def rebuild_position(
    cache, strategy_id: StrategyId, instrument_id: InstrumentId, *, trailing_atr: float
) -> RebuiltPosition | None:
    """Rebuild the open position of ``strategy_id`` in ``instrument_id``; ``None`` when there is none.

    Parameters
    ----------
    cache : nautilus_trader.cache.Cache
        The node's cache (loaded from its database on a restart).
    strategy_id, instrument_id
        Whose position, in what.
    trailing_atr : float
        ``policy.stop_multipliers.trailing``: the trailing distance in ATRs.
    """
    positions = cache.positions_open(instrument_id=instrument_id, strategy_id=strategy_id)
    if not positions:
        return None
    position = positions[0]
    opening = cache.order(position.opening_order_id)
    entry = entry_from_tags(opening.tags) if opening is not None else None
    working = cache.orders_open(instrument_id=instrument_id, strategy_id=strategy_id)
    working += cache.orders_inflight(instrument_id=instrument_id, strategy_id=strategy_id)
    stops = [
        o
        for o in working
        if o.order_type == OrderType.STOP_MARKET and purpose_of(o.client_order_id) == "stop"
    ]
    stop = stops[-1] if stops else None
    atr = entry.atr if entry is not None else math.nan
    sign = 1.0 if position.side == PositionSide.LONG else -1.0
    best = position.avg_px_open
    if stop is not None and math.isfinite(atr):
        proven = stop.trigger_price.as_double() + sign * trailing_atr * atr
        best = max(best, proven) if sign > 0 else min(best, proven)
    last = (
        position.last_event.last_px.as_double() if position.last_event is not None else position.avg_px_open
    )
    return RebuiltPosition(
        entry=entry,
        stop_order=stop,
        route=ClientId(entry.route) if entry is not None and entry.route else None,
        best_close=best,
        entry_atr=atr,
        last_price=last,
        pending_trims=tuple(o.client_order_id for o in working if purpose_of(o.client_order_id) == "trim"),
        kill_orders=tuple(o.client_order_id for o in working if purpose_of(o.client_order_id) == "kill"),
    )


class ReconcileMixin:
    """Applies :func:`rebuild_position` to every instrument of the meta-ensemble strategy at start."""

    def _rebuild_from_cache(self) -> None:
        """A restart: every open position's state comes back from the cache (see strategies.reconcile)."""
        trailing_atr = self.cfg.policy.stop_multipliers.trailing
        for instrument_id, st in self._state.items():
            rebuilt = rebuild_position(self.cache, self.id, instrument_id, trailing_atr=trailing_atr)
            if rebuilt is None:
                continue
            st.entry, st.stop_order, st.route = rebuilt.entry, rebuilt.stop_order, rebuilt.route
            st.best_close, st.entry_atr, st.last_close = (
                rebuilt.best_close,
                rebuilt.entry_atr,
                rebuilt.last_price,
            )
            if rebuilt.kill_orders:
                self._flattening = "kill_switch"
            self.journal.counters["positions_rebuilt"] += 1
            if rebuilt.entry is None:
                self.journal.counters["positions_rebuilt_without_entry"] += 1
                st.route = ClientId(self.risk.route.client_id) if self.risk.route.client_id else None
                self.outputs.alert(
                    alert(
                        self.clock.timestamp_ns(),
                        "warning",
                        "position_without_entry",
                        f"open position in {instrument_id} has no entry record: closes use the current route",
                    )
                )
