"""Constant series, short series, period 1, missing values (NaN/inf), invalid arguments."""

from __future__ import annotations

import numpy as np
import pytest
import talib

import engine.features as F

N = 300


def all_batch(close: np.ndarray, volume: np.ndarray, period: int) -> dict[str, np.ndarray]:
    x = F.log_returns(close)
    return {
        "ema": F.ema(close, period),
        "rsi": F.rsi(close, period),
        "macd": F.macd(close, period, period + 1, period)[0],
        "atr": F.atr(close * 1.01, close * 0.99, close, period),
        "vol_z": F.vol_zscore(close, period, period),
        "corr": F.rolling_corr(x, x[::-1].copy(), period),
        "volume_z": F.volume_zscore(volume, period),
    }


# --------------------------------------------------------------------------------------- constant
def test_constant_series_gives_finite_documented_values() -> None:
    close = np.full(N, 0.1)  # 0.1 is not exactly representable: rounding must not create fake variance
    volume = np.full(N, 7.3)
    ema = F.ema(close, 12)
    np.testing.assert_allclose(ema[11:], 0.1, rtol=1e-15)
    np.testing.assert_array_equal(ema, talib.EMA(close, 12))
    assert np.all(F.rsi(close, 14)[14:] == 50.0)  # documented: TA-Lib gives 0.0 here
    assert np.all(talib.RSI(close, 14)[14:] == 0.0)
    assert np.all(F.atr(close, close, close, 14)[14:] == 0.0)
    line, signal, hist = F.macd(close)
    np.testing.assert_allclose(np.c_[line, signal, hist][33:], 0.0, atol=1e-16)
    assert np.all(F.vol_zscore(close, 30, 240)[269:] == 0.0)  # z of a flat series: 0, never inf/NaN
    assert np.all(F.volume_zscore(volume, 60)[59:] == 0.0)
    x = F.log_returns(np.linspace(1.0, 2.0, N) ** 2)
    assert np.all(F.rolling_corr(x, np.zeros(N), 10)[10:] == 0.0)  # correlation with a constant: 0


def test_constant_bars_give_a_ready_feature_row() -> None:
    close = np.full(N, 25_000.0)
    volume = np.full(N, 2.0)
    params = F.FeatureParams()
    m = F.compute_feature_matrix(close, close, close, close, volume, params)
    w = F.warmup_bars(params)
    assert np.isfinite(m[w:]).all()
    row = dict(zip(F.FEATURE_NAMES, m[-1], strict=True))
    assert row == {
        "ret_1": 0.0,
        "ret_5": 0.0,
        "ret_15": 0.0,
        "ret_60": 0.0,
        "ema_gap_12": 0.0,
        "ema_gap_48": 0.0,
        "rsi_14": 0.0,
        "macd_hist_norm": 0.0,
        "atr_norm": 0.0,
        "vol_z": 0.0,
        "volume_z": 0.0,
    }


def test_volume_z_recovers_after_constant_stretch_ends() -> None:
    volume = np.r_[np.full(100, 5.0), 10.0, np.full(10, 5.0)]
    z = F.volume_zscore(volume, 20)
    assert np.all(z[19:100] == 0.0)
    expected = (10.0 - (19 * 5.0 + 10.0) / 20) / np.std(np.r_[np.full(19, 5.0), 10.0])
    assert z[100] == pytest.approx(expected, rel=1e-12)


# ------------------------------------------------------------------------------------------ short
@pytest.mark.parametrize("n", [0, 1, 5, 13])
def test_series_shorter_than_period_is_all_nan(n: int) -> None:
    close = np.linspace(100.0, 101.0, n)
    for name, out in all_batch(close, np.ones(n), 14).items():
        assert out.shape == (n,) and out.dtype == np.float64, name
        assert np.isnan(out).all(), name
    m = F.compute_feature_matrix(close, close, close, close, np.ones(n), F.FeatureParams())
    assert m.shape == (n, len(F.FEATURE_NAMES)) and np.isnan(m).any(axis=1).all()  # no row is ready
    assert np.isnan(m[:, 5:]).all()  # ema_gap_48 .. volume_z all need more than 13 bars


def test_warmup_lengths() -> None:
    close = 100.0 + np.cumsum(np.random.default_rng(0).standard_normal(N))
    first_finite = {k: int(np.argmax(np.isfinite(v))) for k, v in all_batch(close, close, 14).items()}
    assert first_finite == {
        "ema": 13,
        "rsi": 14,
        "macd": 14 + 15 - 2,
        "atr": 14,
        "vol_z": 14 + 14 - 1,
        "corr": 14,
        "volume_z": 13,
    }


# --------------------------------------------------------------------------------------- period 1
def test_period_one() -> None:
    rng = np.random.default_rng(1)
    close = 50.0 + np.cumsum(rng.standard_normal(N))
    high, low = close + 1.0, close - 1.0
    np.testing.assert_array_equal(F.ema(close, 1), talib.EMA(close, 1))
    np.testing.assert_allclose(F.ema(close, 1), close, rtol=1e-14)
    np.testing.assert_array_equal(F.atr(high, low, close, 1), talib.ATR(high, low, close, 1))
    rsi1 = F.rsi(close, 1)
    assert np.isnan(rsi1[0])
    np.testing.assert_array_equal(
        rsi1[1:], np.where(np.diff(close) > 0, 100.0, np.where(np.diff(close) < 0, 0.0, 50.0))
    )
    assert np.all(F.volume_zscore(close, 1) == 0.0)  # a one-value window is constant
    x = F.log_returns(close)
    assert np.all(F.rolling_corr(x, x, 1)[1:] == 0.0)
    assert np.all(F.vol_zscore(close, 1, 1)[1:] == 0.0)


# ---------------------------------------------------------------------------------- missing values
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_missing_values_are_skipped(bad: float) -> None:
    """Documented rule: a non-finite input gives NaN at its index and leaves the state untouched, so the
    other outputs equal those of the series with the missing entries removed."""
    rng = np.random.default_rng(2)
    close = 100.0 * np.exp(np.cumsum(rng.standard_normal(N) * 0.01))
    volume = rng.lognormal(size=N)
    missing = np.zeros(N, dtype=bool)
    missing[[0, 5, 40, 41, 42, 150, N - 1]] = True
    gappy_close, gappy_volume = close.copy(), volume.copy()
    gappy_close[missing] = bad
    gappy_volume[missing] = bad
    with_gaps = all_batch(gappy_close, gappy_volume, 14)
    without = all_batch(close[~missing], volume[~missing], 14)
    for name in ("ema", "rsi", "macd", "vol_z", "volume_z"):
        assert np.isnan(with_gaps[name][missing]).all(), name
        assert np.array_equal(with_gaps[name][~missing], without[name], equal_nan=True), name


def test_missing_bar_in_feature_matrix_and_nonpositive_close() -> None:
    rng = np.random.default_rng(3)
    close = 100.0 * np.exp(np.cumsum(rng.standard_normal(N) * 0.01))
    volume = rng.lognormal(size=N)
    cols = [close * 1.001, close * 1.002, close * 0.998, close, volume]
    clean = F.compute_feature_matrix(*cols, F.FeatureParams(vol_lookback=20))
    # final index 100: volume missing (one field is enough); final index 200: close <= 0
    bad_bars = {0: (1.0, 1.0), 1: (1.0, 1.0), 2: (1.0, 1.0), 3: (1.0, -1.0), 4: (np.nan, 1.0)}
    gappy = [np.insert(c, [100, 199], bad_bars[j]) for j, c in enumerate(cols)]
    m = F.compute_feature_matrix(*gappy, F.FeatureParams(vol_lookback=20))
    assert np.isnan(m[[100, 200]]).all()
    assert np.array_equal(np.delete(m, [100, 200], axis=0), clean, equal_nan=True)
    assert np.isnan(F.vol_zscore([1.0, 0.0, -2.0], 1, 1)).all()


# ------------------------------------------------------------------------------------------ errors
def test_invalid_arguments_raise() -> None:
    x = np.arange(10.0)
    with pytest.raises(ValueError, match="period"):
        F.ema(x, 0)
    with pytest.raises(TypeError, match="integer"):
        F.rsi(x, 2.5)
    with pytest.raises(ValueError, match="one-dimensional"):
        F.ema(np.ones((3, 3)), 2)
    with pytest.raises(ValueError, match="lengths differ"):
        F.atr(x, x[:-1], x, 3)
    with pytest.raises(ValueError, match="lengths differ"):
        F.rolling_corr(x, x[:5], 3)
    with pytest.raises(ValueError, match="window"):
        F.IncrementalCorrelation(0)
