"""Benchmark the numba feature kernels against TA-Lib and pandas on ~1M real 1-minute bars.

Run: ``uv run python bench/bench_kernels.py``. The BTCUSDT March-2023 series (30,240 bars) is tiled to
~1M points; every timing is the best of N repeats in this process, after a numba warm-up call. Each line
prints both times, ``ours/base`` (lower is better for us) and ``base/ours`` (speed-up, higher is better).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import talib

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import engine.features as F  # noqa: E402
from bench.common import SHARED_DATA  # noqa: E402

DATA = SHARED_DATA / "crypto_1m_2023-03_binanceus"
TARGET = 1_000_000
REPEATS = 7


def load(symbol: str) -> dict[str, np.ndarray]:
    frame = pd.read_csv(DATA / f"{symbol}_1m_20230301_20230321.csv")
    reps = -(-TARGET // len(frame))
    return {
        k: np.tile(frame[k].to_numpy(np.float64), reps) for k in ("open", "high", "low", "close", "volume")
    }


def best(fn: Callable[[], object], repeats: int = REPEATS) -> float:
    fn()  # warm-up (numba compile / cache load, pandas first-call costs)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def pandas_vol_z(close: np.ndarray, window: int, lookback: int) -> np.ndarray:
    sigma = np.log(pd.Series(close)).diff().rolling(window).std(ddof=0)
    return ((sigma - sigma.rolling(lookback).mean()) / sigma.rolling(lookback).std(ddof=0)).to_numpy()


def pandas_volume_z(volume: np.ndarray, window: int) -> np.ndarray:
    v = pd.Series(volume)
    r = v.rolling(window)
    return ((v - r.mean()) / r.std(ddof=0)).to_numpy()


def pandas_corr(x: np.ndarray, y: np.ndarray, window: int) -> np.ndarray:
    return pd.Series(x).rolling(window).corr(pd.Series(y)).to_numpy()


def baseline_feature_matrix(b: dict[str, np.ndarray]) -> np.ndarray:
    """The same 11 columns from TA-Lib + pandas (reference point for compute_feature_matrix)."""
    c, v = b["close"], b["volume"]
    logc = np.log(c)
    cols = [np.r_[np.full(k, np.nan), logc[k:] - logc[:-k]] for k in (1, 5, 15, 60)]
    cols += [c / talib.EMA(c, 12) - 1, c / talib.EMA(c, 48) - 1, talib.RSI(c, 14) / 100 - 0.5]
    cols += [talib.MACD(c, 12, 26, 9)[2] / c, talib.ATR(b["high"], b["low"], c, 14) / c]
    cols += [pandas_vol_z(c, 30, 240), pandas_volume_z(v, 60)]
    return np.column_stack(cols)


def report(name: str, ours: float, base: float, base_name: str) -> None:
    print(
        f"{name:<22} ours {ours * 1e3:9.2f} ms   {base_name:<7} {base * 1e3:9.2f} ms   "
        f"ours/base {ours / base:6.2f}   base/ours {base / ours:6.2f}"
    )


def incremental_cost_us(b: dict[str, np.ndarray], n: int = 200_000) -> float:
    bars = list(zip(*(b[k][:n].tolist() for k in ("open", "high", "low", "close", "volume")), strict=True))
    best_us = float("inf")
    for _ in range(3):
        live = F.IncrementalFeatures(F.FeatureParams())
        update = live.update
        t0 = time.perf_counter()
        for o, h, lo, c, v in bars:
            update(o, h, lo, c, v)
        best_us = min(best_us, (time.perf_counter() - t0) / n * 1e6)
    return best_us


def main() -> int:
    b = load("BTCUSDT")
    ref = load("BTCUSD")["close"]
    c, h, lo, v = b["close"], b["high"], b["low"], b["volume"]
    x, y = F.log_returns(c), F.log_returns(ref)
    print(f"series: BTCUSDT 1m tiled to {c.shape[0]:,} points; best of {REPEATS} repeats")
    report("ema(12)", best(lambda: F.ema(c, 12)), best(lambda: talib.EMA(c, 12)), "talib")
    report("rsi(14)", best(lambda: F.rsi(c, 14)), best(lambda: talib.RSI(c, 14)), "talib")
    report("macd(12,26,9)", best(lambda: F.macd(c)), best(lambda: talib.MACD(c, 12, 26, 9)), "talib")
    report("atr(14)", best(lambda: F.atr(h, lo, c, 14)), best(lambda: talib.ATR(h, lo, c, 14)), "talib")
    report(
        "vol_zscore(30,240)",
        best(lambda: F.vol_zscore(c, 30, 240)),
        best(lambda: pandas_vol_z(c, 30, 240)),
        "pandas",
    )
    report(
        "rolling_corr(60)",
        best(lambda: F.rolling_corr(x, y, 60)),
        best(lambda: pandas_corr(x, y, 60)),
        "pandas",
    )
    report(
        "volume_zscore(60)",
        best(lambda: F.volume_zscore(v, 60)),
        best(lambda: pandas_volume_z(v, 60)),
        "pandas",
    )
    params = F.FeatureParams()
    report(
        "feature_matrix",
        best(lambda: F.compute_feature_matrix(b["open"], h, lo, c, v, params), repeats=3),
        best(lambda: baseline_feature_matrix(b), repeats=3),
        "ta+pd",
    )
    print(f"IncrementalFeatures.update: {incremental_cost_us(b):.2f} us per bar (Python call included)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
