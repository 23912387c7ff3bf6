"""``aureus run``: the trading daemon's lifecycle around the Nautilus node.

Start: topics exist -> publisher connected -> node built (Redis cache, Kafka data client, execution
client of the mode) -> HTTP endpoint -> node runs; the data client polls only once the trader runs, which
Nautilus allows only after reconciliation succeeded. Stop (SIGTERM/SIGINT): the consumer finishes and
commits its batch, the publisher flushes, the node stops (the strategy persists its risk state), the
publisher closes.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Any

import msgspec

from adapters.kafka import KafkaPublisher, KafkaPublisherConfig
from adapters.kafka.admin import all_topics, ensure_topics
from adapters.state import open_store
from aureus.health import start_http
from aureus.replay import replay_strategy_config, trading_state_setter
from aureus.runtime.node import build_node, drain_engines, load_instrument_specs
from aureus.runtime.resume import last_decisions
from engine.config import AureusConfig
from engine.escalation.sink import EscalationSink
from engine.risk.notices import alert
from schemas.errors import AureusError
from schemas.topics import ALERTS

_ENCODER = msgspec.json.Encoder(order="deterministic")
_SIGNALS_TAIL = 5_000  # records per partition of signals read back on start: more than one batch decides


class JsonlSink:
    """Writes the channels that are not Kafka topics (``trades``, ``equity``) to ``DIR/<channel>.jsonl``."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self._dir = directory
        self._files: dict[str, Any] = {}

    def emit(self, channel: str, message: Any) -> None:
        handle = self._files.get(channel)
        if handle is None:
            handle = self._files[channel] = (self._dir / f"{channel}.jsonl").open("ab")
        handle.write(_ENCODER.encode(message) + b"\n")
        handle.flush()

    def close(self) -> None:
        for handle in self._files.values():
            handle.close()


def publisher_config(cfg: AureusConfig) -> KafkaPublisherConfig:
    """The publisher's config from the Aureus config."""
    k = cfg.kafka
    return KafkaPublisherConfig(
        bootstrap_servers=k.bootstrap_servers,
        topic_prefix=k.topic_prefix,
        client_id=k.client_id,
        acks=k.acks,
        enable_idempotence=k.enable_idempotence,
        linger_ms=k.linger_ms,
    )


async def run_daemon(
    cfg: AureusConfig,
    mode: str,
    *,
    stop: asyncio.Event | None = None,
    log_level: str = "INFO",
    stop_requested: list | None = None,
) -> dict:
    """Run the node until ``stop`` is set or SIGTERM/SIGINT arrives; return a summary of the run.

    ``stop_requested``: signals received before this loop existed (see ``aureus.cli_run``); any means a
    stop during start-up. A stop before the node runs shuts down without running it.
    """
    loop = asyncio.get_running_loop()
    stop = stop or asyncio.Event()
    # from the start: a stop during start-up still shuts down in order
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if stop_requested:
        stop.set()
    specs = load_instrument_specs(cfg.daemon.instruments)
    await ensure_topics(cfg.kafka.bootstrap_servers, all_topics(cfg.kafka.topic_prefix))
    local = JsonlSink(Path(cfg.daemon.out_dir))
    publisher = KafkaPublisher(publisher_config(cfg), local=local)
    node, created = build_node(cfg, specs, mode, loop, log_level=log_level)
    await publisher.start()
    client = created[0]
    store = open_store(cfg.store)
    # escalation triggers ride on the strategy's outputs: requests go to the escalations topic
    sink = EscalationSink(publisher, cfg.escalation, {s.instrument_id: s.bucket for s in specs})
    strategy = _strategy(cfg, specs, store=store, sink=sink, paper=mode == "demo")
    node.trader.add_strategy(strategy)
    published = await last_decisions(cfg.kafka.bootstrap_servers, cfg.kafka.topic_prefix, _SIGNALS_TAIL)
    decided = strategy.resume_after(published)
    for sandbox in _sandboxes(node):  # the warm-up replay is not matched again (aureus/runtime/sandbox.py)
        sandbox.seen_until = decided
    strategy.bind_trading_state(trading_state_setter(node.kernel.risk_engine))

    async def trader_running() -> None:
        while not node.trader.is_running:
            await asyncio.sleep(0.05)
        _alert_restored_orders(node, publisher)

    client.set_start_gate(trader_running)
    client.add_commit_barrier(lambda: drain_engines(node))
    client.add_commit_barrier(publisher.flush)

    async def decided() -> None:  # after the outputs are acknowledged, before the offsets are committed
        strategy.commit_decided()

    client.add_commit_barrier(decided)

    def ready() -> tuple[bool, str]:
        if not node.trader.is_running:
            return False, "trader not running (connecting or reconciling)"
        if not client.ready.is_set():
            return False, "kafka consumer not polling"
        return True, "ready"

    http = await start_http(cfg.daemon.http_host, cfg.daemon.http_port, ready)
    for sig in (signal.SIGTERM, signal.SIGINT):  # again: the node's kernel installed its own
        loop.add_signal_handler(sig, stop.set)
    started = not stop.is_set()  # a stop during start-up: the node is never run, nothing is consumed
    run_task = loop.create_task(node.run_async() if started else asyncio.sleep(0))
    stop_task = loop.create_task(stop.wait())
    watch_task = loop.create_task(_watch(node, stop))
    try:
        if started:
            await asyncio.wait({run_task, stop_task, watch_task}, return_when=asyncio.FIRST_COMPLETED)
            await client.stop_consuming()
            await asyncio.wait_for(publisher.flush(), timeout=cfg.daemon.shutdown_flush_s)
            await node.stop_async()
    finally:
        stop_task.cancel()
        watch_task.cancel()
        await publisher.stop(cfg.daemon.shutdown_flush_s)
        if not run_task.done():
            run_task.cancel()
        await asyncio.gather(run_task, return_exceptions=True)
        node.kernel.dispose()  # not node.dispose(): that cancels every task and stops this loop
        local.close()
        await http.cleanup()
    if watch_task.done() and not watch_task.cancelled() and watch_task.result():
        raise DaemonStopped(watch_task.result())
    if run_task.done() and not stop.is_set():
        raise DaemonStopped("the Nautilus node stopped by itself (see its log)")
    seeks = client.warmup_seeks
    return {
        "events_in": dict(client.events_in),
        "dead_letters": dict(client.dead_letters),
        "commits": client.commits,
        "published": dict(publisher.published),
        "local": dict(publisher.local_only),
        "restart": {
            "warmup_replayed": {f"{tp.topic}[{tp.partition}]": c - f for tp, (f, c) in seeks.items()},
            "bars_replayed_not_decided": strategy.journal.counters["bars_replayed_not_decided"],
            "paper_orders_restored": sum(len(c.restored_orders) for c in _sandboxes(node)),
        },
    }


def _sandboxes(node) -> list:
    from aureus.runtime.sandbox import BarSandboxExecutionClient

    return [c for c in node.kernel.exec_engine._clients.values() if isinstance(c, BarSandboxExecutionClient)]


def _alert_restored_orders(node, sink) -> None:
    """One warning alert per paper venue that had its resting orders put back after a restart."""
    for client in _sandboxes(node):
        if client.restored_orders:
            ids = ", ".join(client.restored_orders)
            message = f"paper venue {client.venue} restarted: resting orders restored from the cache: {ids}"
            ts = node.kernel.clock.timestamp_ns()
            sink.emit(ALERTS, alert(ts, "warning", "paper_orders_restored", message, *client.restored_orders))


class DaemonStopped(AureusError):
    """Nautilus stopped the trader on its own (an exception in a handler): the daemon exits non-zero."""


async def _watch(node, stop: asyncio.Event) -> str:
    """Return a reason once the trader, having run, stops without a stop request (Nautilus shuts the
    system down on an exception in a handler and removes the SIGTERM handler, leaving a process that
    neither trades nor exits)."""
    while not node.trader.is_running:
        await asyncio.sleep(0.2)
    while node.trader.is_running or stop.is_set():
        if stop.is_set():
            return ""
        await asyncio.sleep(0.2)
    return "the Nautilus trader stopped by itself (see its log): exiting so a supervisor restarts the daemon"


def _strategy(cfg: AureusConfig, specs, *, store, sink, paper: bool):
    from strategies.meta_ensemble import MetaEnsembleStrategy

    news, control = (t in cfg.kafka.input_topics for t in ("news.scored", "control"))
    config = msgspec.structs.replace(
        replay_strategy_config(cfg, specs, news=news, control=control),
        venue_is_paper=paper,
        mark_persist_interval_s=cfg.node.mark_persist_interval_s,
    )
    strategy = MetaEnsembleStrategy(config, store=store, sink=sink)
    strategy.prepare()  # a missing or broken model fails here, before the node connects to anything
    return strategy
