"""Shared helpers for benchmarks: the real-data recording they run on, and timing utilities."""

from __future__ import annotations

import time
from pathlib import Path

from aureus.paths import REPO_ROOT

SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
BTCUSDT_CSV = SHARED_DATA / "crypto_1m_2023-03_binanceus" / "BTCUSDT_1m_20230301_20230321.csv"


def btcusdt_recording() -> Path:
    """A recording of the real BTCUSDT 1-minute bars (imported once into .cache/)."""
    from adapters.importers import import_files

    out = REPO_ROOT / ".cache" / "bench-btcusdt"
    if not (out / "manifest.json").is_file():
        import_files("binance-klines", [BTCUSDT_CSV], out)
    return out


def best_of(fn, repeats: int, clock=time.perf_counter) -> float:
    """Smallest time of ``repeats`` calls on ``clock`` (the least disturbed by a noisy machine): wall time by
    default, ``time.process_time`` for CPU time, which a busy shared machine disturbs least."""
    best = float("inf")
    for _ in range(repeats):
        t0 = clock()
        fn()
        best = min(best, clock() - t0)
    return best
