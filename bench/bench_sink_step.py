"""CPU µs per flat-book step of the escalation sink: an equity row through the strategy's outputs
(:attr:`strategies.outputs.StrategyOutputs.equity` into :class:`~engine.escalation.sink.EscalationSink`),
with the reference instrument's market inputs still (as no decision came), moving (as on every step of a
replay), and moving with model_decay held (accuracy far under its baseline, as through most of BTCUSDT's
replay): it escalates once per trigger window and is cooling on the steps between.

Usage::

    uv run python -m bench.bench_sink_step [--steps 30000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import time

from engine.config import AureusConfig
from engine.escalation.sink import EscalationSink
from engine.journal import EquityRow
from engine.sink import CollectingSink
from strategies.outputs import StrategyOutputs

T = 1_677_628_800_000_000_000  # 2023-03-01T00:00:00Z
MIN = 60 * 10**9
SCENARIOS = ("still", "moving", "decay held")


def _rows(steps: int) -> list[EquityRow]:
    return [
        EquityRow(
            ts=T + i * MIN,
            nav=100_000.0,
            day_pnl_pct=0.0,
            gross_exposure_pct=0.0,
            net_exposure_pct=0.0,
            max_name_exposure_pct=0.0,
            bucket_core_pct=0.0,
            bucket_penny_pct=0.0,
            bucket_fno_pct=0.0,
            mode="demo",
            halted=0,
        )
        for i in range(steps)
    ]


def _run(rows: list[EquityRow], scenario: str) -> tuple[float, int]:
    """µs per step, and the requests sent."""
    sink = EscalationSink(CollectingSink(), AureusConfig().escalation, {"BTCUSDT.BINANCE": "core"})
    equity = StrategyOutputs(sink).equity
    on_market = sink.tracker.on_market
    if scenario == "decay held":  # a baseline of hits, then a recent window of misses
        for hit in [True] * 250 + [False] * 200:
            sink.tracker.on_scored_decision(hit)
    vol_z = [0.001 * (i % 1000) for i in range(len(rows))]
    t0 = time.process_time()
    if scenario == "still":
        for row in rows:
            equity(row)
    else:
        for row, z in zip(rows, vol_z, strict=True):
            on_market(z, 0.5)
            equity(row)
    return (time.process_time() - t0) / len(rows) * 1e6, sink.requests


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=30_000)
    p.add_argument("--rounds", type=int, default=3)
    a = p.parse_args()
    rows = _rows(a.steps)
    for i in range(a.rounds):
        runs = [(scenario, *_run(rows, scenario)) for scenario in SCENARIOS]
        print(f"round {i + 1}: " + ", ".join(f"{s} {us:.3f} µs/step ({n} requests)" for s, us, n in runs))


if __name__ == "__main__":
    main()
