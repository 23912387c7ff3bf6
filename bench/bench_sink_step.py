"""CPU µs per flat-book step of the escalation sink (``EscalationSink.emit`` of an equity row), with the
reference instrument's market inputs still (as no decision came) and moving (as on every step of a replay).

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


def _run(rows: list[EquityRow], *, moving: bool) -> float:
    sink = EscalationSink(CollectingSink(), AureusConfig().escalation, {"BTCUSDT.BINANCE": "core"})
    emit = sink.emit
    on_market = sink.tracker.on_market
    vol_z = [0.001 * (i % 1000) for i in range(len(rows))]
    t0 = time.process_time()
    if moving:
        for row, z in zip(rows, vol_z, strict=True):
            on_market(z, 0.5)
            emit(EQUITY, row)
    else:
        for row in rows:
            emit(EQUITY, row)
    return (time.process_time() - t0) / len(rows) * 1e6


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=30_000)
    p.add_argument("--rounds", type=int, default=3)
    a = p.parse_args()
    rows = _rows(a.steps)
    for i in range(a.rounds):
        still = _run(rows, moving=False)
        moving = _run(rows, moving=True)
        print(
            f"round {i + 1}: inputs still {still:.3f} µs/step, moving {moving:.3f} µs/step (on_market each)"
        )


if __name__ == "__main__":
    main()
