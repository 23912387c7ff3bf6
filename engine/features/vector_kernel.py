"""numba kernel for the whole model feature vector: one call per bar updates every indicator block.

The state is one flat float64 array: a header of block offsets followed by the indicator blocks of
:mod:`engine.features.kernels`. ``features_step`` writes one bar into ``out`` (length ``OUT_SIZE``):

* ``out[0:N_FEATURES]``: the model row, column order = ``vector.FEATURE_NAMES``,
* ``out[OUT_VOL_Z]``, ``out[OUT_ATR]``, ``out[OUT_LIQUIDITY]``: ensemble inputs (not model inputs),
* ``out[OUT_READY]``: 1.0 when every model column is finite, else 0.0.

``features_batch`` runs the same ``features_step`` over whole arrays, so batch == incremental bit for bit.
A bar with any non-finite input or a close ``<= 0`` is missing: state untouched, outputs NaN.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from engine.features.kernels import (
    ATR_SIZE,
    EMA_SIZE,
    MACD_SIZE,
    RSI_SIZE,
    atr_init,
    atr_step,
    ema_init,
    ema_step,
    macd_init,
    macd_step,
    rsi_init,
    rsi_step,
    volz_init,
    volz_size,
    volz_step,
    zscore_init,
    zscore_size,
    zscore_step,
)

N_FEATURES = 11
N_LAGS = 4
OUT_VOL_Z = 11
OUT_ATR = 12
OUT_LIQUIDITY = 13
OUT_READY = 14
OUT_SIZE = 15

# header: lags (4), then block offsets
_H_RING = 4
_H_EMA_FAST = 5
_H_EMA_SLOW = 6
_H_RSI = 7
_H_MACD = 8
_H_ATR = 9
_H_VOLZ = 10
_H_VOLUME = 11
_H_LIQ_FAST = 12
_H_LIQ_SLOW = 13
_HEADER = 14
_RING_HEADER = 3  # [size, count, pos] + closes


@njit(cache=True)
def features_layout(lag_max, vol_window, vol_lookback, volume_window):
    """Offsets of every block (header slots 4..13) and the total state size."""
    offsets = np.empty(10, dtype=np.int64)
    o = _HEADER
    sizes = (
        _RING_HEADER + lag_max + 1,
        EMA_SIZE,
        EMA_SIZE,
        RSI_SIZE,
        MACD_SIZE,
        ATR_SIZE,
        volz_size(vol_window, vol_lookback),
        zscore_size(volume_window),
        EMA_SIZE,
        EMA_SIZE,
    )
    for j in range(10):
        offsets[j] = o
        o += sizes[j]
    return offsets, o


@njit(cache=True)
def features_init(
    s,
    lags,
    ema_fast,
    ema_slow,
    rsi_period,
    macd_fast,
    macd_slow,
    macd_signal,
    atr_period,
    vol_window,
    vol_lookback,
    volume_window,
    liquidity_fast,
    liquidity_slow,
):
    lag_max = 0
    for j in range(N_LAGS):
        s[j] = lags[j]
        lag_max = max(lag_max, lags[j])
    offsets, _ = features_layout(lag_max, vol_window, vol_lookback, volume_window)
    for j in range(10):
        s[_H_RING + j] = offsets[j]
    ring = offsets[0]
    s[ring] = lag_max + 1
    for j in range(1, _RING_HEADER + lag_max + 1):
        s[ring + j] = 0.0
    ema_init(s, offsets[1], ema_fast)
    ema_init(s, offsets[2], ema_slow)
    rsi_init(s, offsets[3], rsi_period)
    macd_init(s, offsets[4], macd_fast, macd_slow, macd_signal)
    atr_init(s, offsets[5], atr_period)
    volz_init(s, offsets[6], vol_window, vol_lookback)
    zscore_init(s, offsets[7], volume_window)
    ema_init(s, offsets[8], liquidity_fast)
    ema_init(s, offsets[9], liquidity_slow)


@njit(cache=True, inline="always")
def _push_close(s, close):
    """Store ``close`` in the ring; return how many closes it now holds in total (capped, as float)."""
    r = int(s[_H_RING])
    size = s[r]
    pos = int(s[r + 2])
    s[r + _RING_HEADER + pos] = close
    pos += 1
    if pos >= size:
        pos = 0
    s[r + 2] = pos
    count = s[r + 1] + 1.0
    if count > size:
        count = size
    s[r + 1] = count
    return count


@njit(cache=True, inline="always")
def _lag_return(s, close, lag, count):
    if count <= lag:
        return np.nan
    r = int(s[_H_RING])
    size = int(s[r])
    newest = int(s[r + 2]) - 1  # position of close itself (pos already advanced)
    j = (newest - lag) % size
    return math.log(close / s[r + _RING_HEADER + j])


@njit(cache=True)
def features_step(s, open_, high, low, close, volume, out):
    """Consume one bar; write the row, the ensemble extras and the ready flag into ``out``."""
    if not (
        math.isfinite(open_)
        and math.isfinite(high)
        and math.isfinite(low)
        and math.isfinite(close)
        and math.isfinite(volume)
        and close > 0.0
    ):
        for j in range(OUT_SIZE):
            out[j] = np.nan
        out[OUT_READY] = 0.0
        return
    count = _push_close(s, close)
    for j in range(N_LAGS):
        out[j] = _lag_return(s, close, int(s[j]), count)
    out[4] = close / ema_step(s, int(s[_H_EMA_FAST]), close) - 1.0
    out[5] = close / ema_step(s, int(s[_H_EMA_SLOW]), close) - 1.0
    out[6] = rsi_step(s, int(s[_H_RSI]), close) / 100.0 - 0.5
    _, _, hist = macd_step(s, int(s[_H_MACD]), close)
    out[7] = hist / close
    atr = atr_step(s, int(s[_H_ATR]), high, low, close)
    out[8] = atr / close
    vol_z = volz_step(s, int(s[_H_VOLZ]), close)
    out[9] = vol_z
    out[10] = zscore_step(s, int(s[_H_VOLUME]), volume)
    fast = ema_step(s, int(s[_H_LIQ_FAST]), volume)
    slow = ema_step(s, int(s[_H_LIQ_SLOW]), volume)
    if math.isnan(fast) or math.isnan(slow):
        liquidity = np.nan
    elif slow == 0.0:
        liquidity = 0.0
    else:
        liquidity = min(max(fast / slow, 0.0), 1.0)
    out[OUT_VOL_Z] = vol_z
    out[OUT_ATR] = atr
    out[OUT_LIQUIDITY] = liquidity
    ready = 1.0
    for j in range(N_FEATURES):
        if not math.isfinite(out[j]):
            ready = 0.0
    out[OUT_READY] = ready


@njit(cache=True)
def features_batch(s, open_, high, low, close, volume, matrix, extras):
    """Run ``features_step`` over whole arrays: rows into ``matrix`` (N, 11), extras into ``extras``."""
    out = np.empty(OUT_SIZE)
    for i in range(close.shape[0]):
        features_step(s, open_[i], high[i], low[i], close[i], volume[i], out)
        for j in range(N_FEATURES):
            matrix[i, j] = out[j]
        for j in range(OUT_SIZE - N_FEATURES):
            extras[i, j] = out[N_FEATURES + j]


# These kernels inline code from other modules; numba's cache only watches this file (see _cache_guard).
from pathlib import Path  # noqa: E402

from engine.features._cache_guard import flush_if_dependencies_changed  # noqa: E402

_HERE = Path(__file__).resolve().parent
flush_if_dependencies_changed(
    globals(), [_HERE / "kernels.py", _HERE / "rolling_kernels.py"], tag="vector_kernel"
)
