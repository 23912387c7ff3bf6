"""EMA, RSI, MACD and ATR equal TA-Lib to 1e-9 relative after warm-up, on real data."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import talib

import engine.features as F

RTOL = 1e-9


def assert_matches_talib(ours: np.ndarray, theirs: np.ndarray, price_scale: float = 0.0) -> None:
    """Relative 1e-9; quantities that are differences of price-level EMAs (MACD) also get an absolute
    allowance of 1e-13 x the price level (a few hundred ulps of the price), since near their zero crossings
    one ulp of the price is a large relative error (TA-Lib 0.8 rounds some steps differently, e.g. FMA)."""
    assert ours.dtype == np.float64
    assert ours.shape == theirs.shape
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))  # same warm-up length
    finite = ~np.isnan(theirs)
    assert finite.sum() > 0
    np.testing.assert_allclose(ours[finite], theirs[finite], rtol=RTOL, atol=1e-13 * price_scale)


@pytest.mark.parametrize("period", [2, 12, 48, 200])
def test_ema_matches_talib(bars: dict[str, np.ndarray], period: int) -> None:
    assert_matches_talib(F.ema(bars["close"], period), talib.EMA(bars["close"], period))


@pytest.mark.parametrize("period", [2, 14, 30])
def test_rsi_matches_talib(bars: dict[str, np.ndarray], period: int) -> None:
    close = bars["close"]
    ours, theirs = F.rsi(close, period), talib.RSI(close, period)
    # Documented deviation: while the price has not moved at all since the first bar, RSI is 50, not 0.
    unmoved = np.maximum.accumulate(close) == np.minimum.accumulate(close)
    deviating = unmoved & ~np.isnan(theirs)
    assert np.all(ours[deviating] == 50.0) and np.all(theirs[deviating] == 0.0)
    assert_matches_talib(np.where(deviating, 0.0, ours), theirs)


@pytest.mark.parametrize(("fast", "slow", "signal"), [(12, 26, 9), (5, 35, 5), (3, 10, 1)])
def test_macd_matches_talib_all_three_outputs(
    bars: dict[str, np.ndarray], fast: int, slow: int, signal: int
) -> None:
    ours = F.macd(bars["close"], fast, slow, signal)
    theirs = talib.MACD(bars["close"], fast, slow, signal)
    for o, t in zip(ours, theirs, strict=True):
        assert_matches_talib(o, t, price_scale=float(np.max(bars["close"])))
    # the first output sits exactly where TA-Lib's does: index slow + signal - 2
    assert np.isnan(ours[0][slow + signal - 3]) and np.isfinite(ours[0][slow + signal - 2])


def test_macd_swaps_fast_and_slow_like_talib(btcusdt: dict[str, np.ndarray]) -> None:
    close = btcusdt["close"]
    for o, t in zip(F.macd(close, 26, 12, 9), talib.MACD(close, 26, 12, 9), strict=True):
        assert_matches_talib(o, t, price_scale=float(np.max(close)))


@pytest.mark.parametrize("period", [1, 14, 30])
def test_atr_matches_talib(bars: dict[str, np.ndarray], period: int) -> None:
    h, lo, c = bars["high"], bars["low"], bars["close"]
    assert_matches_talib(F.atr(h, lo, c, period), talib.ATR(h, lo, c, period))


def test_parity_on_more_daily_stocks(stock_loader: Callable[[str], dict[str, np.ndarray]]) -> None:
    for ticker in ("AMZN", "BA", "BAC"):
        b = stock_loader(ticker)
        assert_matches_talib(F.ema(b["close"], 12), talib.EMA(b["close"], 12))
        assert_matches_talib(F.rsi(b["close"], 14), talib.RSI(b["close"], 14))
        for o, t in zip(F.macd(b["close"]), talib.MACD(b["close"], 12, 26, 9), strict=True):
            assert_matches_talib(o, t, price_scale=float(np.max(b["close"])))
        assert_matches_talib(
            F.atr(b["high"], b["low"], b["close"], 14), talib.ATR(b["high"], b["low"], b["close"], 14)
        )


def test_inputs_accept_lists_and_other_dtypes(aapl: dict[str, np.ndarray]) -> None:
    close32 = aapl["close"].astype(np.float32)
    assert_matches_talib(F.ema(close32, 10), talib.EMA(close32.astype(np.float64), 10))
    assert_matches_talib(F.rsi(list(aapl["close"][:100]), 14), talib.RSI(aapl["close"][:100], 14))
