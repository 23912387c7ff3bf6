"""Submit-rate budget that keeps part of the Nautilus risk engine's rate limit free for flatten orders.

Nautilus denies (never queues) a submit over ``RiskEngineConfig.max_order_submit_rate`` -- a flatten order
included -- so entries stop at ``floor(max_per_s * (1 - reserve_pct / 100))`` submits in the trailing
second and the rest is headroom that trims, stops and kill-switch flattens can always use.

What counts against the Nautilus limit (NautilusTrader 1.228.0, read in the installed source):

* ``nautilus_trader/risk/engine.pyx``: ``_handle_submit_order`` (line 415) and
  ``_handle_submit_order_list`` (line 458) both end in ``_execution_gateway(instrument, command)``
  (line 1129), which calls ``self._order_submit_throttler.send(command)`` once per *command* (line 1178).
  A ``SubmitOrderList`` (a bracket: entry + stop + take-profit) therefore counts **once**, and when it is
  over the rate all its orders are denied together (``_deny_new_order``, lines 1078-1082). A
  ``SubmitOrder`` counts once. ``close_position`` submits one market order: once. Checked in a
  ``BacktestEngine`` with ``max_order_submit_rate="2/00:00:01"``: two brackets (6 orders) in the same
  nanosecond pass, a third is denied whole ("Exceeded MAX_ORDER_SUBMIT_RATE"), and one bracket plus two
  market orders denies only the second market order.
* Exception: a list holding an *emulated* order goes to the ``OrderEmulator`` instead, which splits it
  (``execution/emulator.pyx`` ``_handle_submit_order_list``, line 448) into one ``SubmitOrder`` per
  non-OTO-child order via ``OrderManager.create_new_submit_order`` -> ``RiskEngine.execute``: each counts
  once; OTO children are submitted the same way when their parent fills (``execution/manager.pyx``
  line 445). Record such lists per order.
* Only commands that pass the risk checks and trading state reach the throttler; denied ones do not
  count. ``ModifyOrder`` has its own throttler (``max_order_modify_rate``); ``CancelOrder`` goes straight
  to the execution engine and is not throttled.
* The throttler (``common/component.pyx`` ``Throttler``, line 2973) keeps the send times of the last
  ``limit`` messages and sends when ``now - oldest >= interval``: a submit at ``t`` stops counting at
  exactly ``t + interval``, i.e. the window is the half-open ``(now - interval, now]``. This class uses
  the same window.

So: call ``record(ts_ns)`` once per ``submit_order`` and once per non-emulated ``submit_order_list``
(whatever the list's length), for entries, trims and flattens alike; ``record(ts_ns, n=len(orders))``
for a list with emulated orders. Counting a command Nautilus later denies is harmless (conservative).
"""

from __future__ import annotations

import math
from collections import deque

from engine.config import OrderRateConfig

NS_PER_SECOND = 1_000_000_000


class OrderRateBudget:
    """Sliding-window count of submit commands over the engine clock, with a reserve for flattens.

    Parameters
    ----------
    max_per_s : int
        The Nautilus submit limit per window (``OrderRateConfig.max_submit_per_s``).
    reserve_pct : float
        Percentage of ``max_per_s`` entries may not use (``OrderRateConfig.flatten_reserve_pct``).
    interval_ns : int, default 1_000_000_000
        Window length; must match the interval of ``max_order_submit_rate``.

    Notes
    -----
    Timestamps must not go backwards (the engine clock does not): a ``record`` earlier than the latest
    one is counted at the latest time, and a query earlier than the latest record sees the window as of
    the latest pruning.
    """

    __slots__ = ("max_per_s", "reserve_pct", "interval_ns", "entry_limit", "_events", "_count", "_last_ns")

    def __init__(self, max_per_s: int, reserve_pct: float, *, interval_ns: int = NS_PER_SECOND) -> None:
        if max_per_s < 1:
            raise ValueError(f"max_per_s must be >= 1, got {max_per_s}")
        if not 0.0 <= reserve_pct < 100.0:
            raise ValueError(f"reserve_pct must be in [0, 100), got {reserve_pct}")
        if interval_ns < 1:
            raise ValueError(f"interval_ns must be >= 1, got {interval_ns}")
        self.max_per_s = max_per_s
        self.reserve_pct = reserve_pct
        self.interval_ns = interval_ns
        # The epsilon keeps 100 * (100 - 30) / 100 from flooring to 69 through binary rounding.
        self.entry_limit = math.floor(max_per_s * (100.0 - reserve_pct) / 100.0 + 1e-9)
        self._events: deque[tuple[int, int]] = deque()
        self._count = 0
        self._last_ns = -(2**63)

    @classmethod
    def from_config(cls, config: OrderRateConfig) -> OrderRateBudget:
        """Build from ``RiskConfig.order_rate``."""
        return cls(config.max_submit_per_s, config.flatten_reserve_pct)

    def _prune(self, ts_ns: int) -> None:
        horizon = ts_ns - self.interval_ns
        events = self._events
        while events and events[0][0] <= horizon:
            self._count -= events.popleft()[1]

    def record(self, ts_ns: int, n: int = 1) -> None:
        """Count ``n`` submit commands sent at ``ts_ns`` (see the module docstring for what counts).

        Parameters
        ----------
        ts_ns : int
            Engine-clock time of the submit, UNIX nanoseconds.
        n : int, default 1
            Number of submit commands (1 for a ``SubmitOrder`` or a non-emulated ``SubmitOrderList``).
        """
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        ts_ns = max(ts_ns, self._last_ns)
        self._last_ns = ts_ns
        self._prune(ts_ns)
        if n:
            self._events.append((ts_ns, n))
            self._count += n

    def count(self, ts_ns: int) -> int:
        """Submits counted in the window ``(ts_ns - interval_ns, ts_ns]``."""
        self._prune(ts_ns)
        return self._count

    def entry_allowed(self, ts_ns: int, n: int = 1) -> bool:
        """Whether ``n`` more entry submits fit: ``count + n <= entry_limit``."""
        return self.count(ts_ns) + n <= self.entry_limit

    def flatten_headroom(self, ts_ns: int) -> int:
        """Submits still possible in the window before Nautilus denies: ``max_per_s - count`` (>= 0)."""
        return max(0, self.max_per_s - self.count(ts_ns))
