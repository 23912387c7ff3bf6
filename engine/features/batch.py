"""Batch indicator functions: numpy in, float64 numpy out, aligned to the input, NaN during warm-up.

Every function runs the same numba step code as its incremental counterpart in
:mod:`engine.features.incremental`, so both give bit-identical outputs. Conventions (missing bars, ddof,
constant windows) are documented in :mod:`engine.features.kernels`.
"""

from __future__ import annotations

import operator

import numpy as np
from numpy.typing import ArrayLike, NDArray

from engine.features import kernels

FloatArray = NDArray[np.float64]


def as_float_array(values: ArrayLike, name: str = "x") -> FloatArray:
    """Convert ``values`` to a 1-D C-contiguous float64 array (no copy when it already is one)."""
    array = np.ascontiguousarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    return array


def check_period(value: int, name: str = "period") -> int:
    """Return ``value`` as a Python int, raising ``ValueError`` unless it is an integer >= 1."""
    try:
        period = operator.index(value)
    except TypeError as e:
        raise TypeError(f"{name} must be an integer, got {value!r}") from e
    if period < 1:
        raise ValueError(f"{name} must be >= 1, got {period}")
    return period


def _same_length(*arrays: FloatArray) -> None:
    if len({a.shape[0] for a in arrays}) != 1:
        raise ValueError(f"input lengths differ: {[a.shape[0] for a in arrays]}")


def ema(x: ArrayLike, period: int) -> FloatArray:
    """Exponential moving average, TA-Lib compatible.

    Parameters
    ----------
    x : array_like
        Input series.
    period : int
        Span n >= 1; alpha = 2 / (n + 1). The first output (index n - 1) is the SMA of the first n values.

    Returns
    -------
    numpy.ndarray
        float64, same length as ``x``; NaN during warm-up and at missing (non-finite) inputs.
    """
    return kernels.ema_batch(as_float_array(x), check_period(period))


def rsi(close: ArrayLike, period: int) -> FloatArray:
    """Wilder RSI in [0, 100], TA-Lib compatible (first output at index ``period``).

    A window with no movement at all since the start (average gain + loss exactly 0) gives 50.0, where
    TA-Lib gives 0.0.
    """
    return kernels.rsi_batch(as_float_array(close, "close"), check_period(period))


def macd(
    close: ArrayLike, fast: int = 12, slow: int = 26, signal: int = 9
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """MACD line, signal line and histogram, TA-Lib compatible.

    Parameters
    ----------
    close : array_like
        Price series.
    fast, slow, signal : int
        EMA spans (swapped when ``slow < fast``, as TA-Lib does).

    Returns
    -------
    tuple of numpy.ndarray
        ``(macd, signal, hist)``; all three NaN before index ``slow + signal - 2``.
    """
    return kernels.macd_batch(
        as_float_array(close, "close"),
        check_period(fast, "fast"),
        check_period(slow, "slow"),
        check_period(signal, "signal"),
    )


def atr(high: ArrayLike, low: ArrayLike, close: ArrayLike, period: int) -> FloatArray:
    """Wilder average true range, TA-Lib compatible (first output at index ``period``)."""
    h, lo, c = as_float_array(high, "high"), as_float_array(low, "low"), as_float_array(close, "close")
    _same_length(h, lo, c)
    return kernels.atr_batch(h, lo, c, check_period(period))


def vol_zscore(close: ArrayLike, window: int, lookback: int) -> FloatArray:
    """Volatility z-score of 1-bar log returns.

    sigma_t is the population (ddof=0) standard deviation of the last ``window`` log returns and the result
    is ``(sigma_t - mean) / std`` over the last ``lookback`` sigmas including sigma_t (ddof=0). First finite
    value at index ``window + lookback - 1``; 0.0 when the lookback sigmas are constant. Closes <= 0 are
    treated as missing.
    """
    return kernels.volz_batch(
        as_float_array(close, "close"), check_period(window, "window"), check_period(lookback, "lookback")
    )


def rolling_corr(x: ArrayLike, ref: ArrayLike, window: int) -> FloatArray:
    """Rolling Pearson correlation of ``x`` with ``ref`` over the last ``window`` pairs.

    Pass 1-bar log returns (see :func:`log_returns`) to get the return correlation. A pair with a
    non-finite side is missing. 0.0 when either side is constant over the window; clipped to [-1, 1].
    """
    a, b = as_float_array(x, "x"), as_float_array(ref, "ref")
    _same_length(a, b)
    return kernels.corr_batch(a, b, check_period(window, "window"))


def volume_zscore(volume: ArrayLike, window: int) -> FloatArray:
    """z-score of each volume against the last ``window`` volumes including itself (ddof=0).

    First finite value at index ``window - 1``; 0.0 when the window is constant.
    """
    return kernels.zscore_batch(as_float_array(volume, "volume"), check_period(window, "window"))


def log_returns(close: ArrayLike) -> FloatArray:
    """1-bar log returns ``log(close_t / close_{t-1})``; index 0 is NaN."""
    c = as_float_array(close, "close")
    out = np.full(c.shape[0], np.nan)
    if c.shape[0] > 1:
        with np.errstate(divide="ignore", invalid="ignore"):
            out[1:] = np.log(c[1:] / c[:-1])
    return out
