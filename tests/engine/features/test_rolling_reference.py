"""Rolling volatility z-score, correlation and volume z-score against plain numpy (two-pass) references."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

import engine.features as F

RTOL = 1e-9
ATOL = 1e-12  # z-scores and correlations are O(1); only values within 1e-12 of 0 lean on this


def assert_matches_reference(ours: np.ndarray, reference: np.ndarray) -> None:
    assert ours.dtype == np.float64 and ours.shape == reference.shape
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(reference))
    finite = ~np.isnan(reference)
    assert finite.sum() > 0
    assert np.all(np.isfinite(ours[finite]))
    np.testing.assert_allclose(ours[finite], reference[finite], rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize(("window", "lookback"), [(30, 240), (5, 20), (60, 60)])
def test_vol_zscore_matches_numpy(
    bars: dict[str, np.ndarray], references: SimpleNamespace, window: int, lookback: int
) -> None:
    close = bars["close"]
    assert_matches_reference(
        F.vol_zscore(close, window, lookback), references.vol_zscore(close, window, lookback)
    )


@pytest.mark.parametrize("window", [2, 20, 60, 500])
def test_volume_zscore_matches_numpy(
    bars: dict[str, np.ndarray], references: SimpleNamespace, window: int
) -> None:
    volume = bars["volume"]
    assert_matches_reference(F.volume_zscore(volume, window), references.zscore(volume, window))


@pytest.mark.parametrize("window", [2, 15, 60, 240])
@pytest.mark.parametrize("symbol", ["btcusdt", "btcusdc"])
def test_rolling_corr_matches_numpy(
    request: pytest.FixtureRequest,
    btcusd: dict[str, np.ndarray],
    references: SimpleNamespace,
    symbol: str,
    window: int,
) -> None:
    x = F.log_returns(request.getfixturevalue(symbol)["close"])[1:]
    ref = F.log_returns(btcusd["close"])[1:]
    assert_matches_reference(F.rolling_corr(x, ref, window), references.corr(x, ref, window))


def test_thin_market_exercises_constant_windows(
    btcusdc: dict[str, np.ndarray], btcusd: dict[str, np.ndarray]
) -> None:
    # BTCUSDC has stretches of up to 54 minutes without a trade: constant windows must give exact zeros,
    # never inf or NaN.
    vz = F.volume_zscore(btcusdc["volume"], 20)
    assert np.sum(vz == 0.0) > 100 and np.all(np.isfinite(vz[19:]))
    volz = F.vol_zscore(btcusdc["close"], 30, 240)
    assert np.all(np.isfinite(volz[269:]))
    x = F.log_returns(btcusdc["close"])[1:]
    corr = F.rolling_corr(x, F.log_returns(btcusd["close"])[1:], 15)
    assert np.sum(corr == 0.0) > 100 and np.all(np.isfinite(corr[14:]))


def test_vol_zscore_agrees_with_pandas(btcusdt: dict[str, np.ndarray]) -> None:
    close = pd.Series(btcusdt["close"])
    sigma = np.log(close).diff().rolling(30).std(ddof=0)
    z = (sigma - sigma.rolling(240).mean()) / sigma.rolling(240).std(ddof=0)
    ours = F.vol_zscore(btcusdt["close"], 30, 240)
    np.testing.assert_array_equal(np.isnan(ours), z.isna().to_numpy())
    np.testing.assert_allclose(ours[269:], z.to_numpy()[269:], rtol=1e-7, atol=1e-7)  # pandas' online sums


def test_corr_agrees_with_pandas(btcusdt: dict[str, np.ndarray], btcusd: dict[str, np.ndarray]) -> None:
    x = pd.Series(F.log_returns(btcusdt["close"]))
    ref = pd.Series(F.log_returns(btcusd["close"]))
    expected = x.rolling(60).corr(ref).to_numpy()
    ours = F.rolling_corr(x.to_numpy(), ref.to_numpy(), 60)
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(expected))
    np.testing.assert_allclose(ours[60:], expected[60:], rtol=1e-7, atol=1e-7)
