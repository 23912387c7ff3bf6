"""Assemble the daemon's Nautilus ``TradingNode``: Kafka data client, strategy, risk engine, Redis cache,
and the execution client of the mode (the bar-aware sandbox in ``demo``, a venue adapter in ``live``)."""

from __future__ import annotations

import asyncio
import os
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlparse

import msgspec
from nautilus_trader.cache.config import CacheConfig
from nautilus_trader.common.config import DatabaseConfig
from nautilus_trader.config import (
    LiveExecEngineConfig,
    LiveRiskEngineConfig,
    LoggingConfig,
    TradingNodeConfig,
)
from nautilus_trader.live.node import TradingNode
from nautilus_trader.model.identifiers import TraderId

from adapters.kafka import KafkaDataClientConfig, KafkaLiveDataClientFactory
from adapters.recorded import open_recording
from aureus.paths import resolve_repo_path
from aureus.runtime.backtest import bar_type_for, venue_currencies
from aureus.runtime.instruments import build_instrument
from aureus.runtime.risk_engine import risk_engine_config
from engine.config import AureusConfig
from engine.errors import ConfigError
from schemas.recording import InstrumentSpec

_SPECS = msgspec.json.Decoder(tuple[InstrumentSpec, ...])


def load_instrument_specs(path: str | Path) -> tuple[InstrumentSpec, ...]:
    """Instrument specs from a recording directory, its ``manifest.json``, or a JSON list of specs."""
    if not str(path):
        raise ConfigError("daemon.instruments is empty: name a recording (manifest) or a JSON list of specs")
    p = resolve_repo_path(path)
    if p.is_dir() or p.name == "manifest.json":
        return open_recording(p if p.is_dir() else p.parent).manifest.instruments
    try:
        return _SPECS.decode(p.read_bytes())
    except FileNotFoundError as e:
        raise ConfigError(f"daemon.instruments: {p} not found") from e
    except msgspec.DecodeError as e:
        raise ConfigError(f"daemon.instruments: {p} is not a JSON list of instrument specs: {e}") from e


def redis_database(url: str) -> DatabaseConfig:
    """Nautilus's database config for a ``redis://[user:pass@]host:port`` URL (Nautilus has no db index)."""
    parsed = urlparse(url)
    if parsed.scheme not in ("redis", "rediss") or not parsed.hostname:
        raise ConfigError(f"store.redis_url: expected redis://host:port, got {url!r}")
    return DatabaseConfig(
        type="redis",
        host=parsed.hostname,
        port=parsed.port or 6379,
        username=parsed.username,
        password=parsed.password,
        ssl=parsed.scheme == "rediss",
    )


def data_client_config(cfg: AureusConfig, specs: tuple[InstrumentSpec, ...]) -> KafkaDataClientConfig:
    """The Kafka data client's config from the Aureus config."""
    k = cfg.kafka
    return KafkaDataClientConfig(
        bootstrap_servers=k.bootstrap_servers,
        topic_prefix=k.topic_prefix,
        group_id=k.group_id,
        client_id=k.client_id,
        topics=k.input_topics,
        instruments_json=msgspec.json.encode(specs).decode(),
        bar_types=tuple(str(bar_type_for(s)) for s in specs),
        max_poll_records=k.max_poll_records,
        poll_timeout_ms=k.poll_timeout_ms,
        fetch_max_wait_ms=k.fetch_max_wait_ms,
        auto_offset_reset=k.auto_offset_reset,
        acks=k.acks,
        enable_idempotence=k.enable_idempotence,
        warmup_records=cfg.restart.warmup_bars * len(specs),  # all instruments may share one partition
    )


def exec_client_configs(cfg: AureusConfig, specs: tuple[InstrumentSpec, ...], mode: str) -> dict:
    """``demo``: one bar-aware sandbox per venue; ``live``: the configured venue adapter."""
    if mode == "demo":
        from nautilus_trader.adapters.sandbox.config import SandboxExecutionClientConfig

        currencies = venue_currencies(specs)
        starting = cfg.venue.starting_nav / len(currencies)
        return {
            venue: SandboxExecutionClientConfig(
                venue=venue,
                starting_balances=[f"{starting:.2f} {currency}"],
                base_currency=currency,
                oms_type="NETTING",
                account_type="MARGIN",
                default_leverage=Decimal(str(cfg.venue.leverage)),
                bar_execution=True,
            )
            for venue, currency in sorted(currencies.items())
        }
    live = cfg.daemon.live
    if live.adapter == "binance":
        from nautilus_trader.adapters.binance import BinanceAccountType, BinanceExecClientConfig
        from nautilus_trader.adapters.binance.common.enums import BinanceEnvironment

        return {
            live.venue: BinanceExecClientConfig(
                api_key=os.environ.get(live.api_key_env),
                api_secret=os.environ.get(live.api_secret_env),
                account_type=BinanceAccountType(live.account_type.upper()),
                environment=BinanceEnvironment.TESTNET if live.testnet else BinanceEnvironment.LIVE,
            )
        }
    raise ConfigError(
        '--mode live needs daemon.live.adapter (e.g. "binance"); see configs/live-binance-testnet.toml'
    )


def node_config(
    cfg: AureusConfig, specs: tuple[InstrumentSpec, ...], mode: str, *, log_level: str
) -> TradingNodeConfig:
    """The ``TradingNodeConfig`` of the daemon."""
    d = cfg.daemon
    return TradingNodeConfig(
        trader_id=TraderId(d.trader_id),
        logging=LoggingConfig(log_level=log_level, bypass_logging=False),
        cache=CacheConfig(
            database=redis_database(cfg.store.redis_url), encoding="msgpack", flush_on_start=False
        ),
        risk_engine=LiveRiskEngineConfig(**msgspec.structs.asdict(risk_engine_config(cfg))),
        exec_engine=LiveExecEngineConfig(reconciliation=True),
        data_clients={"KAFKA": data_client_config(cfg, specs)},
        exec_clients=exec_client_configs(cfg, specs, mode),
        timeout_connection=d.timeout_connection_s,
        timeout_reconciliation=d.timeout_reconciliation_s,
        timeout_portfolio=d.timeout_reconciliation_s,
        timeout_disconnection=d.shutdown_flush_s,
        timeout_post_stop=1.0,
    )


def build_node(
    cfg: AureusConfig,
    specs: tuple[InstrumentSpec, ...],
    mode: str,
    loop: asyncio.AbstractEventLoop,
    *,
    log_level: str = "INFO",
) -> tuple[TradingNode, list]:
    """Build (not start) the node; returns it and the list that receives the Kafka data client once built.

    Instruments are added to the cache before the clients are built, so the execution clients see them.
    """
    node = TradingNode(config=node_config(cfg, specs, mode, log_level=log_level), loop=loop)
    for spec in specs:
        node.cache.add_instrument(build_instrument(spec, cfg.venue))
    created: list = []

    class _CapturingFactory(KafkaLiveDataClientFactory):
        @staticmethod
        def create(loop, name, config, msgbus, cache, clock):  # type: ignore[override]
            client = KafkaLiveDataClientFactory.create(loop, name, config, msgbus, cache, clock)
            created.append(client)
            return client

    node.add_data_client_factory("KAFKA", _CapturingFactory)
    if mode == "demo":
        from aureus.runtime.sandbox import SandboxLiveExecClientFactory

        for venue in venue_currencies(specs):
            node.add_exec_client_factory(venue, SandboxLiveExecClientFactory)
        synchronous_engines(node)
    else:
        from nautilus_trader.adapters.binance import BinanceLiveExecClientFactory

        node.add_exec_client_factory(cfg.daemon.live.venue, BinanceLiveExecClientFactory)
    node.build()
    return node, created


async def drain_engines(node: TradingNode) -> None:
    """Return once the node's data, risk and execution queues are empty (everything handed over is processed).

    Each queue's consumer handles an item synchronously right after taking it, so an empty queue means the
    item was processed; orders a bar caused travel data -> risk -> execution, hence the repeated pass.
    """
    k = node.kernel

    def pending() -> int:
        return (
            k.data_engine.data_qsize()
            + k.risk_engine.cmd_qsize()
            + k.risk_engine.evt_qsize()
            + k.exec_engine.cmd_qsize()
            + k.exec_engine.evt_qsize()
        )

    quiet = 0
    while quiet < 2:  # two empty looks one loop turn apart: nothing was in flight between engines
        quiet = quiet + 1 if pending() == 0 else 0
        await asyncio.sleep(0)


class _Immediate:
    """Stands in for a live engine's queue: hands each message straight to the engine's own handler."""

    __slots__ = ("enqueue",)

    def __init__(self, handler) -> None:
        self.enqueue = handler


def synchronous_engines(node: TradingNode) -> None:
    """Make the risk and execution engines handle commands and events at once, as in a backtest.

    The live engines queue them, so an order a bar caused reaches the sandbox only after the data engine
    has handed the strategy every bar of the batch, and a fill reaches the cache after the sandbox already
    released its bracket legs (which it then rejects as reduce-only with no position). With a paper venue
    there is no network to wait for: handling them in line gives the backtest's semantics, so demo and
    replay decide alike.
    """
    from functools import partial

    from nautilus_trader.execution.engine import ExecutionEngine
    from nautilus_trader.risk.engine import RiskEngine

    k = node.kernel
    k.risk_engine._cmd_enqueuer = _Immediate(partial(RiskEngine.execute, k.risk_engine))
    k.risk_engine._evt_enqueuer = _Immediate(partial(RiskEngine.process, k.risk_engine))
    k.exec_engine._cmd_enqueuer = _Immediate(partial(ExecutionEngine.execute, k.exec_engine))
    k.exec_engine._evt_enqueuer = _Immediate(partial(ExecutionEngine.process, k.exec_engine))
