"""A restarted paper venue: the resting stop the node's cache (Redis) holds is back in the sandbox's matching
engine, with no new order event; a replayed (warm-up) bar does not trigger it, a new bar that crosses it
fills it."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal

import pytest
import redis
from nautilus_trader.common.factories import OrderFactory
from nautilus_trader.model.data import Bar, BarType
from nautilus_trader.model.enums import OrderSide, OrderStatus
from nautilus_trader.model.identifiers import InstrumentId, StrategyId, TraderId
from nautilus_trader.model.objects import Price, Quantity
from nautilus_trader.test_kit.stubs.execution import TestExecStubs

from aureus.cli_run import load_daemon_config
from aureus.paths import resolve_repo_path
from aureus.runtime.node import build_node, load_instrument_specs
from aureus.runtime.sandbox import BarSandboxExecutionClient


@pytest.fixture
def trader_id():
    trader = f"SBX-{uuid.uuid4().hex[:6].upper()}"
    yield trader
    client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    keys = list(client.scan_iter(f"trader-{trader}:*"))
    if keys:
        client.delete(*keys)


async def test_resting_stop_from_the_cache_is_restored_and_fills(trader_id):
    cfg = load_daemon_config(
        None,
        ['daemon.instruments="configs/instruments/btcusdt-binance.json"', f'daemon.trader_id="{trader_id}"'],
    )
    specs = load_instrument_specs(resolve_repo_path(cfg.daemon.instruments))
    node, _ = build_node(cfg, specs, "demo", asyncio.get_running_loop(), log_level="ERROR")
    try:
        (client,) = [
            c for c in node.kernel.exec_engine._clients.values() if isinstance(c, BarSandboxExecutionClient)
        ]
        instrument = node.cache.instrument(InstrumentId.from_str("BTCUSDT.BINANCE"))
        factory = OrderFactory(
            trader_id=TraderId(trader_id), strategy_id=StrategyId("S-001"), clock=node.kernel.clock
        )
        stop = factory.stop_market(
            instrument.id, OrderSide.SELL, Quantity.from_str("0.010000"), Price.from_str("20000.00")
        )
        stop = TestExecStubs.make_accepted_order(
            order=stop, instrument=instrument, account_id=client.account_id
        )
        node.cache.add_order(stop)  # what a restarted node loads from Redis; the fresh sandbox has nothing
        node.cache.build_index()  # as loading the cache does

        client.connect()
        engine = client.exchange.get_matching_engine(instrument.id)
        assert client.restored_orders == (stop.client_order_id.value,)
        assert engine.order_exists(stop.client_order_id)
        assert node.cache.order(stop.client_order_id).status == OrderStatus.ACCEPTED  # no new event
        assert client.restore_resting_orders() == ()  # already in the engine: nothing twice

        bar_type = BarType.from_str("BTCUSDT.BINANCE-1-MINUTE-LAST-EXTERNAL")
        ts = node.kernel.clock.timestamp_ns()
        above = Bar(
            bar_type,
            *(Price.from_str(p) for p in ("20500.00", "20600.00", "20400.00", "20500.00")),
            Quantity.from_str("5.000000"),
            ts,
            ts,
        )
        client._on_bar(above)
        assert node.cache.order(stop.client_order_id).status == OrderStatus.ACCEPTED
        crossing = Bar(
            bar_type,
            *(Price.from_str(p) for p in ("20500.00", "20500.00", "19800.00", "19900.00")),
            Quantity.from_str("5.000000"),
            ts + 60_000_000_000,
            ts + 60_000_000_000,
        )
        client.seen_until = {"BTCUSDT.BINANCE": ts + 60_000_000_000}  # a warm-up replay of it: not matched
        client._on_bar(crossing)
        assert node.cache.order(stop.client_order_id).status == OrderStatus.ACCEPTED
        assert client.bars_not_rematched == 1
        client.seen_until = {}
        client._on_bar(crossing)
        order = node.cache.order(stop.client_order_id)
        assert order.status == OrderStatus.FILLED and order.filled_qty == Decimal("0.010000")
    finally:
        node.kernel.dispose()
