"""Per-event state machines reproduce the batch functions bit for bit (NaN positions included)."""

from __future__ import annotations

import numpy as np
import pytest

import engine.features as F


def with_gaps(values: np.ndarray, seed: int = 7) -> np.ndarray:
    """Copy of ``values`` with ~1% of entries replaced by NaN/inf, exercising the missing-bar path."""
    out = values.copy()
    rng = np.random.default_rng(seed)
    idx = rng.choice(out.shape[0], size=max(1, out.shape[0] // 100), replace=False)
    out[idx] = rng.choice([np.nan, np.inf, -np.inf], size=idx.shape[0])
    return out


def feed(machine, *columns: np.ndarray) -> np.ndarray:
    return np.array([machine.update(*row) for row in zip(*columns, strict=True)], dtype=np.float64)


@pytest.fixture(params=["clean", "gaps"])
def series(request: pytest.FixtureRequest, bars: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    if request.param == "clean":
        return bars
    return {k: with_gaps(v, seed=i) for i, (k, v) in enumerate(bars.items())}


def test_ema(series: dict[str, np.ndarray]) -> None:
    c = series["close"]
    assert np.array_equal(feed(F.IncrementalEMA(12), c), F.ema(c, 12), equal_nan=True)


def test_rsi(series: dict[str, np.ndarray]) -> None:
    c = series["close"]
    assert np.array_equal(feed(F.IncrementalRSI(14), c), F.rsi(c, 14), equal_nan=True)


def test_macd(series: dict[str, np.ndarray]) -> None:
    c = series["close"]
    inc = feed(F.IncrementalMACD(12, 26, 9), c)
    for j, batch in enumerate(F.macd(c, 12, 26, 9)):
        assert np.array_equal(inc[:, j], batch, equal_nan=True)


def test_atr(series: dict[str, np.ndarray]) -> None:
    h, lo, c = series["high"], series["low"], series["close"]
    assert np.array_equal(feed(F.IncrementalATR(14), h, lo, c), F.atr(h, lo, c, 14), equal_nan=True)


def test_vol_zscore(series: dict[str, np.ndarray]) -> None:
    c = series["close"]
    assert np.array_equal(feed(F.IncrementalVolZScore(30, 240), c), F.vol_zscore(c, 30, 240), equal_nan=True)


def test_volume_zscore(series: dict[str, np.ndarray]) -> None:
    v = series["volume"]
    assert np.array_equal(feed(F.IncrementalZScore(60), v), F.volume_zscore(v, 60), equal_nan=True)


def test_correlation(series: dict[str, np.ndarray], btcusd: dict[str, np.ndarray]) -> None:
    n = min(series["close"].shape[0], btcusd["close"].shape[0])
    x, ref = F.log_returns(series["close"][:n]), F.log_returns(btcusd["close"][:n])
    corr = F.IncrementalCorrelation(60)
    assert np.array_equal(feed(corr, x, ref), F.rolling_corr(x, ref, 60), equal_nan=True)
    assert np.array_equal([corr.value], F.rolling_corr(x, ref, 60)[-1:], equal_nan=True)


def test_incremental_features_equal_feature_matrix(series: dict[str, np.ndarray]) -> None:
    params = F.FeatureParams()
    cols = [series[k] for k in ("open", "high", "low", "close", "volume")]
    matrix = F.compute_feature_matrix(*cols, params)
    extras = F.compute_feature_extras(*cols, params)
    live = F.IncrementalFeatures(params)
    rows = np.empty_like(matrix)
    live_extras = np.empty_like(extras)
    ready = np.empty(matrix.shape[0], dtype=bool)
    for i, bar in enumerate(zip(*cols, strict=True)):
        rows[i] = live.update(*bar)
        live_extras[i] = (live.vol_z, live.atr, live.liquidity)
        ready[i] = live.ready
    assert np.array_equal(rows, matrix, equal_nan=True)
    assert np.array_equal(live_extras, extras, equal_nan=True)
    assert np.array_equal(ready, np.isfinite(matrix).all(axis=1))
    assert ready.sum() > 0.9 * ready.shape[0] - F.warmup_bars(params)


def test_feature_rows_are_bit_identical_for_chunked_replay(btcusdt: dict[str, np.ndarray]) -> None:
    # Restarting nothing but continuing the same IncrementalFeatures across chunks changes nothing.
    params = F.FeatureParams()
    cols = [btcusdt[k][:3000] for k in ("open", "high", "low", "close", "volume")]
    matrix = F.compute_feature_matrix(*cols, params)
    live = F.IncrementalFeatures(params)
    for i, bar in enumerate(zip(*cols, strict=True)):
        assert np.array_equal(live.update(*bar), matrix[i], equal_nan=True)
