"""(d) Pre-submit clamp cost per order, in µs, against the decision it guards.

The clamp runs before every submit, so its cost is paid per order. It is measured over random requests
against books of 1, 10 and 100 holdings, for the runbook profile (per-name + bucket caps) and the
long/short profile (every portfolio limit on). The baseline, measured in the same run, is the per-bar
decision latency (features + models + ensemble) from benchmark (b): the ratio is the share the clamp adds.
"""

from __future__ import annotations

import time

import numpy as np

from engine.config import load_config
from engine.risk.book import Book, Holding
from engine.risk.clamp import OrderRequest, assess
from engine.risk.limits import resolve_limits

BUCKETS = ("core", "core", "core", "penny", "fno")
SECTORS = ("tech", "energy", "financials", "health")


def _book(rng: np.random.Generator, holdings: int, nav: float) -> Book:
    return Book(
        nav=nav,
        holdings=tuple(
            Holding(
                instrument=f"S{i}.XNAS",
                bucket=BUCKETS[i % len(BUCKETS)],
                sector=SECTORS[i % len(SECTORS)],
                notional=float(rng.choice((-1.0, 1.0)) * rng.uniform(0.0, 0.004) * nav),
            )
            for i in range(holdings)
        ),
    )


def _requests(rng: np.random.Generator, n: int, holdings: int) -> list[OrderRequest]:
    return [
        OrderRequest(
            instrument=f"S{int(rng.integers(0, holdings + 5))}.XNAS",
            bucket="core",
            sector=SECTORS[int(rng.integers(0, len(SECTORS)))],
            side=int(rng.choice((-1, 1))),
            size=float(rng.uniform(0.0, 0.05)),
            price=float(rng.uniform(10.0, 500.0)),
        )
        for _ in range(n)
    ]


def main(decision_p50_us: float | None = None, n: int = 20_000) -> dict:
    rng = np.random.default_rng(3)
    results = {}
    for profile in ("runbook", "long_short"):
        limits = resolve_limits(load_config(overrides=[f"risk.profile={profile}"]).risk, "full")
        for holdings in (1, 10, 100):
            book = _book(rng, holdings, 100_000.0)
            requests = _requests(rng, n, holdings)
            for r in requests[:200]:  # warm up
                assess(r, book, limits)
            samples = np.empty(n, dtype=np.int64)
            perf = time.perf_counter_ns
            for i, r in enumerate(requests):
                t0 = perf()
                assess(r, book, limits)
                samples[i] = perf() - t0
            us = samples / 1_000.0
            results[(profile, holdings)] = (float(np.percentile(us, 50)), float(np.percentile(us, 99)))
    parts = [f"{p}/{h} holdings p50 {a:.1f} µs p99 {b:.1f} µs" for (p, h), (a, b) in results.items()]
    line = "[d] clamp cost per order: " + "; ".join(parts)
    if decision_p50_us:
        share = results[("runbook", 10)][0] / decision_p50_us
        line += f"; ratio clamp(runbook, 10 holdings)/decision p50 = {share:.3f}"
    print(line)
    return {f"{p}_{h}": v for (p, h), v in results.items()}


if __name__ == "__main__":
    main()
