"""(a) Full-pipeline replay throughput vs the same BacktestEngine with a do-nothing strategy, same data."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from nautilus_trader.config import StrategyConfig
from nautilus_trader.trading.strategy import Strategy

from adapters.recorded import open_recording
from adapters.state import EmbeddedFileStore
from adapters.state.write_behind import WriteBehindStore
from aureus.replay import build_strategy, feed_recording, trading_state_setter
from aureus.runtime.backtest import bar_type_for, build_backtest_engine
from bench.common import btcusdt_recording
from engine.config import load_config
from engine.escalation.sink import EscalationSink
from engine.sink import CollectingSink


class NullStrategyConfig(StrategyConfig, frozen=True):
    bar_types: tuple[str, ...]


class NullStrategy(Strategy):
    """Subscribes to the same bars and does nothing with them: the engine's own cost."""

    def on_start(self) -> None:
        from nautilus_trader.model.data import BarType

        for b in self.config.bar_types:
            self.subscribe_bars(BarType.from_str(b))

    def on_bar(self, bar) -> None:
        pass


def replay_strategy(config, specs, *, news: bool = False):
    """The strategy as ``aureus replay`` builds it: a fresh embedded file state store behind the replay's
    write-behind store (its one write per key at the end is not timed, as in ``aureus replay``) and the
    escalation-trigger sink over a collecting sink."""
    files = EmbeddedFileStore(Path(tempfile.mkdtemp(prefix="aureus-bench-state-")), durable=False)
    store = WriteBehindStore(files)
    sink = EscalationSink(CollectingSink(), config.escalation, {s.instrument_id: s.bucket for s in specs})
    return build_strategy(config, specs, news=news, store=store, sink=sink)


def _run(config, recording, specs, strategy) -> tuple[float, int]:
    engine = build_backtest_engine(config, specs)
    engine.add_strategy(strategy)
    if hasattr(strategy, "bind_trading_state"):
        strategy.bind_trading_state(trading_state_setter(engine.kernel.risk_engine))
    t0 = time.perf_counter()
    if hasattr(strategy, "prepare"):  # as aureus replay does; timed, so the model loading still counts
        strategy.prepare()
    seen = feed_recording(engine, recording, specs, chunk_events=config.replay.chunk_events)
    engine.end()
    elapsed = time.perf_counter() - t0  # no dispose(): see aureus/replay.py
    return elapsed, sum(seen.values())


def main(repeats: int = 2) -> dict:
    config = load_config(overrides=["replay.progress=false"])
    recording = open_recording(btcusdt_recording())
    specs = recording.manifest.instruments
    bar_types = tuple(str(bar_type_for(s)) for s in specs)
    null_best = full_best = float("inf")
    events = 0
    for _ in range(repeats):  # interleaved so drift on a noisy machine hits both sides alike
        t, events = _run(config, recording, specs, NullStrategy(NullStrategyConfig(bar_types=bar_types)))
        null_best = min(null_best, t)
        t, _ = _run(config, recording, specs, replay_strategy(config, specs))
        full_best = min(full_best, t)
    result = {
        "events": events,
        "null_events_per_s": events / null_best,
        "full_events_per_s": events / full_best,
        "ratio_full_over_null_throughput": null_best / full_best,
    }
    print(
        f"[a] replay throughput on {events} real BTCUSDT 1m bars: do-nothing strategy "
        f"{result['null_events_per_s']:,.0f} ev/s, full pipeline {result['full_events_per_s']:,.0f} ev/s, "
        f"ratio full/null = {result['ratio_full_over_null_throughput']:.3f}"
    )
    return result


if __name__ == "__main__":
    main()
