"""The paper (demo) execution client: Nautilus's sandbox, made to also see bars and to survive a restart.

The upstream sandbox subscribes to ``data.*.{venue}.*``, which never matches ``data.bars.<bar type>``, so
with bars only every order is rejected "no market" (notes/nautilus-1.228.md). The factory subclass keeps
the class name ``SandboxLiveExecClientFactory``: the node builder injects ``portfolio`` by that name.

Restart (``kill -9``, then ``aureus run`` again): the simulated exchange lives in memory, the node's cache
in Redis. Positions need nothing: the sandbox's matching engine reads them from the node's cache. What a
fresh sandbox lacks is (1) the account balance, which would reset to the configured starting balance, and
(2) the resting orders (stops, take-profits) in its matching engines. The factory therefore starts the
sandbox from the cached account's balances, and :meth:`BarSandboxExecutionClient.connect` puts every
order the cache holds as accepted at this venue back into its matching engine, as a venue that kept its
book through a client restart would. Each restored order is listed in :attr:`restored_orders` (the
daemon raises an alert). The bars the restarted node replays to warm its features were already matched
by the previous sandbox: bars at or before :attr:`seen_until` (the strategy's decided mark) are not
matched again, or a stop trailed since would fill on an old bar.
"""

from __future__ import annotations

import msgspec
from nautilus_trader.adapters.sandbox.execution import SandboxExecutionClient
from nautilus_trader.adapters.sandbox.factory import SandboxLiveExecClientFactory as _UpstreamFactory
from nautilus_trader.model.enums import OrderStatus
from nautilus_trader.model.identifiers import Venue


class BarSandboxExecutionClient(SandboxExecutionClient):
    """Sandbox execution client whose simulated exchange also matches on this venue's bars."""

    restored_orders: tuple[str, ...] = ()
    """Client order ids put back into the matching engines at the last connect."""
    seen_until: dict[str, int] = {}
    """Instrument -> event time of the last bar a previous incarnation matched (set before connecting)."""
    bars_not_rematched: int = 0

    def connect(self) -> None:
        super().connect()
        self._msgbus.subscribe(f"data.bars.*.{self.venue}-*", handler=self._on_bar)
        self.restored_orders = self.restore_resting_orders()

    def _on_bar(self, bar) -> None:
        if bar.ts_event <= self.seen_until.get(bar.bar_type.instrument_id.value, -1):
            self.bars_not_rematched += 1  # a warm-up replay: the previous sandbox matched it already
            return
        self.on_data(bar)

    def restore_resting_orders(self) -> tuple[str, ...]:
        """Put every order the cache holds as accepted at this venue into its matching engine.

        Returns
        -------
        tuple[str, ...]
            Client order ids restored (none on a first start or once they are all in the engines).
        """
        restored = []
        for order in self._cache.orders_open(venue=self.venue):
            engine = self.exchange.get_matching_engine(order.instrument_id)
            if engine is None or engine.order_exists(order.client_order_id):
                continue
            if order.status != OrderStatus.ACCEPTED:
                self._log.warning(f"Not restoring {order.client_order_id} ({order.status_string()})")
                continue
            engine.accept_order(order)  # an accepted order is added back without a new event
            restored.append(order.client_order_id.value)
        if restored:
            self._log.warning(f"Paper venue restarted: restored {len(restored)} resting orders {restored}")
        return tuple(restored)


class SandboxLiveExecClientFactory(_UpstreamFactory):
    """Builds :class:`BarSandboxExecutionClient` (name kept on purpose, see the module docstring)."""

    @staticmethod
    def create(loop, name, config, portfolio, msgbus, cache, clock):  # type: ignore[override]
        account = cache.account_for_venue(Venue(config.venue))
        if account is not None:  # a restart: the paper account keeps its balance
            balances = [str(m) for m in account.balances_total().values()]
            config = msgspec.structs.replace(config, starting_balances=balances)
        return BarSandboxExecutionClient(
            loop=loop, clock=clock, portfolio=portfolio, msgbus=msgbus, cache=cache, config=config
        )
