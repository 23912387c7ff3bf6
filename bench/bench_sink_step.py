"""CPU µs per flat-book step of the escalation sink (``EscalationSink.emit`` of an equity row), with the
trigger check's reuse and with it defeated (the last inputs forgotten before each row), interleaved.

Usage::

    uv run python -m bench.bench_sink_step [--steps 30000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import time

from engine.config import AureusConfig
from engine.escalation.sink import EscalationSink
from engine.journal import EquityRow
from engine.sink import EQUITY, CollectingSink

T = 1_677_628_800_000_000_000  # 2023-03-01T00:00:00Z
MIN = 60 * 10**9


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


def _run(rows: list[EquityRow], *, reuse: bool) -> float:
    sink = EscalationSink(CollectingSink(), AureusConfig().escalation, {"BTCUSDT.BINANCE": "core"})
    emit = sink.emit
    t0 = time.process_time()
    if reuse:
        for row in rows:
            emit(EQUITY, row)
    else:
        for row in rows:
            sink._fired_inputs = None
            emit(EQUITY, row)
    return (time.process_time() - t0) / len(rows) * 1e6


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=30_000)
    p.add_argument("--rounds", type=int, default=3)
    a = p.parse_args()
    rows = _rows(a.steps)
    for i in range(a.rounds):
        plain = _run(rows, reuse=False)
        reuse = _run(rows, reuse=True)
        print(f"round {i + 1}: check every step {plain:.3f} µs/step, reused {reuse:.3f} µs/step")


if __name__ == "__main__":
    main()
