"""(e) The Kafka edge, each measure against a baseline taken in the same invocation on the same broker:

1. ingest throughput: Kafka -> decode -> Nautilus node -> meta-ensemble strategy (the daemon's path, offsets
   committed after processing) vs a bare aiokafka consume loop over the same messages (ratio; goal >= 0.5);
   the decode alone (consume + decode into Nautilus bars) is printed too;
2. md-bar-to-order-event latency p50/p99 at a fixed rate: a bar published -> the node -> a strategy that
   sends a market order on every bar -> the sandbox's fill event, vs the bare produce -> consume latency
   at the same rate (goal p99 < 10 ms on loopback).

The broker is ``AUREUS_KAFKA_BOOTSTRAP`` when set (e.g. Apache Kafka from docker/), else a tansu started
for the run.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
import uuid

import numpy as np
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from nautilus_trader.config import StrategyConfig
from nautilus_trader.model.data import Bar, BarType
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.objects import Quantity
from nautilus_trader.trading.strategy import Strategy

from adapters.kafka.admin import ensure_topics
from adapters.kafka.parsing import InputDecoder
from adapters.recorded import open_recording
from aureus.paths import REPO_ROOT
from aureus.replay import build_strategy
from aureus.runtime.backtest import bar_type_for
from aureus.runtime.node import build_node, drain_engines
from bench.bench_pipeline import NullStrategy, NullStrategyConfig
from bench.common import btcusdt_recording
from engine.config import load_config
from schemas import codec


class OrderPerBarConfig(StrategyConfig, frozen=True):
    bar_type: str


class OrderPerBar(Strategy):
    """Sends a small market order on every bar; records wall time of each fill by the bar that caused it."""

    def __init__(self, config: OrderPerBarConfig) -> None:
        super().__init__(config)
        self.filled_at: dict[str, int] = {}
        self._bar_of: dict = {}

    def on_start(self) -> None:
        self.subscribe_bars(BarType.from_str(self.config.bar_type))

    def on_bar(self, bar: Bar) -> None:
        side = OrderSide.BUY if len(self._bar_of) % 2 == 0 else OrderSide.SELL
        order = self.order_factory.market(bar.bar_type.instrument_id, side, Quantity.from_str("0.001000"))
        self._bar_of[order.client_order_id] = bar.ts_event
        self.submit_order(order)

    def on_order_filled(self, event) -> None:
        ts = self._bar_of.get(event.client_order_id)
        if ts is not None and ts not in self.filled_at:
            self.filled_at[ts] = time.perf_counter_ns()


_TRADERS: list[str] = []


def _trader() -> str:
    """A fresh trader id per node: the Nautilus cache in Redis is keyed by it (removed at the end)."""
    _TRADERS.append(f"BENCH-{uuid.uuid4().hex[:6].upper()}")
    return _TRADERS[-1]


def _cleanup_redis(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    for trader in _TRADERS:
        keys = list(client.scan_iter(f"trader-{trader}:*"))
        if keys:
            client.delete(*keys)


def _broker():
    bootstrap = os.environ.get("AUREUS_KAFKA_BOOTSTRAP")
    if bootstrap:
        return bootstrap, None, True
    sys.path.insert(0, str(REPO_ROOT / "tests"))
    from kafka_broker import start_broker

    broker = start_broker()
    return broker.bootstrap, broker, False


def _config(bootstrap: str, prefix: str, idempotent: bool, trader: str, group: str = ""):
    return load_config(
        overrides=[
            f'kafka.bootstrap_servers="{bootstrap}"',
            f'kafka.topic_prefix="{prefix}"',
            f'kafka.group_id="{group or prefix + "g"}"',
            f"kafka.enable_idempotence={str(idempotent).lower()}",
            f'daemon.trader_id="{trader}"',
            "replay.progress=false",
        ]
    )


async def _publish(bootstrap: str, topic: str, values: list[tuple[bytes, bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    try:
        futures = [await producer.send(topic, v, key=k) for k, v in values]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def _bare_consume(bootstrap: str, topic: str, n: int, decoder: InputDecoder | None = None) -> float:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        seen = 0
        first = await consumer.getmany(timeout_ms=10_000, max_records=1)  # connected and fetching
        t0 = time.perf_counter()
        for records in first.values():
            seen += len(records)
        while seen < n:
            for records in (await consumer.getmany(timeout_ms=1000, max_records=500)).values():
                if decoder is not None:
                    for r in records:
                        decoder.decode("md.bars", r.value)
                seen += len(records)
        return (n - 1) / (time.perf_counter() - t0)
    finally:
        await consumer.stop()


async def _node_consume(cfg, specs, strategy, n: int) -> tuple[float, object]:
    loop = asyncio.get_running_loop()
    node, created = build_node(cfg, specs, "demo", loop, log_level="ERROR")
    node.trader.add_strategy(strategy)
    client = created[0]
    start: list[float] = []

    async def gate() -> None:
        while not node.trader.is_running:
            await asyncio.sleep(0.01)
        start.append(time.perf_counter())

    client.set_start_gate(gate)
    client.add_commit_barrier(lambda: drain_engines(node))
    task = loop.create_task(node.run_async())
    try:
        while sum(client.events_in.values()) < n or not start:
            await asyncio.sleep(0.005)
            if task.done():
                task.result()
        await client.stop_consuming()  # the last batch is processed and committed
        elapsed = time.perf_counter() - start[0]
    finally:
        await node.stop_async()
        # no kernel.dispose(): it shuts the process-wide Rust logger and the next node would panic
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    return n / elapsed, strategy


async def _throughput(bootstrap: str, idempotent: bool) -> dict:
    recording = open_recording(btcusdt_recording())
    specs = recording.manifest.instruments
    prefix = f"bench{uuid.uuid4().hex[:6]}."
    values = [(r.key.encode(), codec.encode("md.bars", r.payload)) for r in recording.iter_topic("md.bars")]
    await ensure_topics(bootstrap, [prefix + "md.bars", prefix + "dlq.md.bars"])
    await _publish(bootstrap, prefix + "md.bars", values)
    n = len(values)
    bare = await _bare_consume(bootstrap, prefix + "md.bars", n)
    decoder = InputDecoder(specs, [str(bar_type_for(s)) for s in specs])
    decoded = await _bare_consume(bootstrap, prefix + "md.bars", n, decoder)
    # the meta-ensemble node first: a second node in one process shares the first one's Rust logger
    cfg = _config(bootstrap, prefix, idempotent, _trader())
    node_rate, _ = await _node_consume(cfg, specs, build_strategy(cfg, specs, news=False), n)
    bar_types = tuple(str(bar_type_for(s)) for s in specs)
    cfg = _config(bootstrap, prefix, idempotent, _trader(), group=prefix + "g2")  # a fresh consumer group
    null_rate, _ = await _node_consume(cfg, specs, NullStrategy(NullStrategyConfig(bar_types=bar_types)), n)
    return {
        "messages": n,
        "bare_per_s": bare,
        "decode_per_s": decoded,
        "null_node_per_s": null_rate,
        "node_per_s": node_rate,
    }


async def _latency(bootstrap: str, idempotent: bool, rate: float, count: int) -> dict:
    recording = open_recording(btcusdt_recording())
    specs = recording.manifest.instruments
    bars = [r.payload for _, r in zip(range(count), recording.iter_topic("md.bars"), strict=False)]
    prefix = f"lat{uuid.uuid4().hex[:6]}."
    await ensure_topics(bootstrap, [prefix + t for t in ("md.bars", "dlq.md.bars", "base")])
    cfg = _config(bootstrap, prefix, idempotent, _trader())
    strategy = OrderPerBar(OrderPerBarConfig(bar_type=str(bar_type_for(specs[0])), strategy_id="LAT-001"))
    loop = asyncio.get_running_loop()
    node, created = build_node(cfg, specs, "demo", loop, log_level="ERROR")
    node.trader.add_strategy(strategy)
    client = created[0]
    client.add_commit_barrier(lambda: drain_engines(node))
    task = loop.create_task(node.run_async())
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=0)
    await producer.start()
    sent: dict[int, int] = {}
    try:
        while not client.ready.is_set():
            await asyncio.sleep(0.01)
        await asyncio.sleep(1.0)
        for bar in bars:
            sent[bar.ts_event] = time.perf_counter_ns()
            await producer.send(prefix + "md.bars", codec.encode("md.bars", bar), key=bar.instrument.encode())
            await asyncio.sleep(1.0 / rate)
        deadline = time.monotonic() + 10
        while len(strategy.filled_at) < len(bars) - 1 and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        await client.stop_consuming()
    finally:
        await node.stop_async()
        # no kernel.dispose(): it shuts the process-wide Rust logger and the next node would panic
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    node_lat = [strategy.filled_at[ts] - sent[ts] for ts in sent if ts in strategy.filled_at]

    # baseline: bare produce -> consume at the same rate, same loop
    consumer = AIOKafkaConsumer(
        prefix + "base",
        bootstrap_servers=bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=cfg.kafka.fetch_max_wait_ms,
    )
    await consumer.start()
    base_lat: list[int] = []

    async def consume() -> None:
        while len(base_lat) < len(bars):
            for records in (await consumer.getmany(timeout_ms=100)).values():
                now = time.perf_counter_ns()
                base_lat.extend(now - int(r.value) for r in records)

    reader = loop.create_task(consume())
    await asyncio.sleep(1.0)
    for _ in bars:
        await producer.send(prefix + "base", str(time.perf_counter_ns()).encode(), key=b"k")
        await asyncio.sleep(1.0 / rate)
    await asyncio.wait_for(reader, timeout=30)
    await consumer.stop()
    await producer.stop()

    def pct(xs: list[int]) -> tuple[float, float]:
        a = np.asarray(xs, dtype=np.float64) / 1e6
        return float(np.percentile(a, 50)), float(np.percentile(a, 99))

    return {"samples": len(node_lat), "bars": len(bars), "node_ms": pct(node_lat), "bare_ms": pct(base_lat)}


def main(rate: float = 100.0, count: int = 500) -> dict:
    bootstrap, broker, idempotent = _broker()
    try:
        tp = asyncio.run(_throughput(bootstrap, idempotent))
        lat = asyncio.run(_latency(bootstrap, idempotent, rate, count))
    finally:
        if broker is not None:
            broker.stop()
        _cleanup_redis(load_config().store.redis_url)
    print(
        f"[e1] Kafka ingest, {tp['messages']} real BTCUSDT bars: "
        f"bare aiokafka {tp['bare_per_s']:,.0f} msg/s, +decode {tp['decode_per_s']:,.0f} msg/s, "
        f"node+do-nothing strategy {tp['null_node_per_s']:,.0f} msg/s, "
        f"node+meta-ensemble {tp['node_per_s']:,.0f} msg/s; "
        f"ratio node/bare = {tp['node_per_s'] / tp['bare_per_s']:.3f} (goal >= 0.5), "
        f"null-node/bare = {tp['null_node_per_s'] / tp['bare_per_s']:.3f}, "
        f"decode/bare = {tp['decode_per_s'] / tp['bare_per_s']:.3f}"
    )
    (n50, n99), (b50, b99) = lat["node_ms"], lat["bare_ms"]
    print(
        f"[e2] bar -> order fill at {rate:.0f} bars/s ({lat['samples']}/{lat['bars']} filled): "
        f"p50 {n50:.2f} ms, "
        f"p99 {n99:.2f} ms (goal p99 < 10 ms); bare produce->consume p50 {b50:.2f} ms, p99 {b99:.2f} ms; "
        f"ratio p99 node/bare = {n99 / b99:.2f}"
    )
    return {"throughput": tp, "latency": lat}


if __name__ == "__main__":
    main()
