"""numba kernels: every indicator is an incremental state machine over a flat float64 state array.

Each indicator ``X`` has three pieces:

* ``X_SIZE`` (or ``X_size(...)``): how many float64 slots its state takes,
* ``X_init(state, offset, ...)``: writes the initial state at ``state[offset:offset + size]``,
* ``X_step(state, offset, ...)``: consumes one observation and returns this bar's output.

A batch function (``X_batch``) allocates a state, then runs the *same* transition code for every element, so
a per-event caller that keeps the state array and calls ``X_step`` itself gets bit-identical outputs. For
the recursive indicators (EMA, RSI, MACD, ATR) the transition is a pure scalar function ``X_update``:
``X_step`` loads the state from the array, calls it and stores the result; ``X_batch`` keeps the state in
local variables across the loop (registers, ~2x faster) and calls the same ``X_update``. No fastmath, so
both paths round identically. Blocks compose: the feature-vector kernel (``vector_kernel.py``) lays several
blocks out in one array. A module whose cached kernels inline code from *another* module must register
that dependency with ``_cache_guard`` (numba's cache only watches a function's own file).

Conventions shared by every kernel (documented once here):

* Missing data: a non-finite input (NaN, +-inf) is a *missing bar*. The state is not advanced and the output
  at that index is NaN; the next valid bar continues as if the missing one had never been there.
  Kernels that take logarithms of prices also treat a price ``<= 0`` as missing.
* Warm-up outputs are NaN.
* Rolling statistics use ddof = 0 (population moments) everywhere.
* Rolling moments are kept by add/evict Welford updates with a running rounding-error bound, and recomputed
  exactly (two-pass over the ring buffer) when the bound exceeds 1e-13 of the second moment and at least
  once every ``window`` updates: no catastrophic cancellation, no drift on arbitrarily long streams.
* Zero variance: a window whose values are all identical (tracked exactly by run length), or whose variance
  is below the rounding floor ``4 * window * eps * mean**2`` (constant to ~7 significant digits), counts as
  constant. Its z-score is 0.0 and any correlation involving it is 0.0, never inf or NaN.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

# ----------------------------------------------------------------------------------------------- EMA
# [period, k, count, value]; value holds the running sum until the SMA seed is complete.
EMA_SIZE = 4


@njit(cache=True)
def ema_init(s, o, period):
    s[o] = period
    s[o + 1] = 2.0 / (period + 1.0)
    s[o + 2] = 0.0
    s[o + 3] = 0.0


@njit(cache=True)
def ema_update(n, k, count, value, x):
    """TA-Lib EMA transition: SMA of the first ``n`` values, then ``((x - prev) * k) + prev``, k = 2/(n+1).

    Returns ``(count, value, output)``.
    """
    if not math.isfinite(x):
        return count, value, np.nan
    count += 1.0
    if count < n:
        return count, value + x, np.nan
    if count == n:
        value = (value + x) / n
        return count, value, value
    value = ((x - value) * k) + value
    return count, value, value


@njit(cache=True, inline="always")
def ema_step(s, o, x):
    count, value, out = ema_update(s[o], s[o + 1], s[o + 2], s[o + 3], x)
    s[o + 2] = count
    s[o + 3] = value
    return out


@njit(cache=True)
def ema_batch(x, period):
    s = np.empty(EMA_SIZE)
    ema_init(s, 0, period)
    n, k, count, value = s[0], s[1], s[2], s[3]
    out = np.empty(x.shape[0])
    for i in range(x.shape[0]):
        count, value, out[i] = ema_update(n, k, count, value, x[i])
    return out


# ----------------------------------------------------------------------------------------------- RSI
# [period, count, prev_x, avg_gain, avg_loss]; the averages hold running sums until the seed is complete.
RSI_SIZE = 5


@njit(cache=True)
def rsi_init(s, o, period):
    s[o] = period
    for j in range(1, RSI_SIZE):
        s[o + j] = 0.0


@njit(cache=True)
def rsi_update(n, count, prev, gain, loss, x):
    """TA-Lib RSI (Wilder) transition. Returns ``(count, prev, gain, loss, output)``.

    Simple mean of the first ``n`` gains/losses (first output at the n-th difference), then
    ``avg = (avg * (n - 1) + new) / n``. Deviation from TA-Lib: when average gain + average loss is exactly
    0 (no movement at all since the first bar) the RSI is 50.0, where TA-Lib returns 0.0.
    """
    if not math.isfinite(x):
        return count, prev, gain, loss, np.nan
    if count == 0.0:
        return 1.0, x, gain, loss, np.nan
    diff = x - prev
    if count <= n:
        if diff < 0.0:
            loss -= diff
        else:
            gain += diff
        if count < n:
            return count + 1.0, x, gain, loss, np.nan
        loss /= n
        gain /= n
    else:
        # branch-free form of TA-Lib's "if diff < 0: loss -= diff else: gain += diff" (same values: adding
        # or subtracting 0.0 is exact); a data-dependent branch here mispredicts half the time.
        loss = (loss * (n - 1.0) - min(diff, 0.0)) / n
        gain = (gain * (n - 1.0) + max(diff, 0.0)) / n
    total = gain + loss
    out = 50.0 if total == 0.0 else 100.0 * (gain / total)
    return count + 1.0, x, gain, loss, out


@njit(cache=True, inline="always")
def rsi_step(s, o, x):
    count, prev, gain, loss, out = rsi_update(s[o], s[o + 1], s[o + 2], s[o + 3], s[o + 4], x)
    s[o + 1] = count
    s[o + 2] = prev
    s[o + 3] = gain
    s[o + 4] = loss
    return out


@njit(cache=True)
def rsi_batch(x, period):
    s = np.empty(RSI_SIZE)
    rsi_init(s, 0, period)
    n, count, prev, gain, loss = s[0], s[1], s[2], s[3], s[4]
    out = np.empty(x.shape[0])
    for i in range(x.shape[0]):
        count, prev, gain, loss, out[i] = rsi_update(n, count, prev, gain, loss, x[i])
    return out


# ---------------------------------------------------------------------------------------------- MACD
# [count, fast_start] + EMA(slow) + EMA(fast) + EMA(signal); the 3 EMA blocks are laid out as EMA_SIZE each.
MACD_SIZE = 2 + 3 * EMA_SIZE


@njit(cache=True)
def macd_init(s, o, fast, slow, signal):
    if slow < fast:  # TA-Lib swaps them
        fast, slow = slow, fast
    s[o] = 0.0
    s[o + 1] = slow - fast
    ema_init(s, o + 2, slow)
    ema_init(s, o + 2 + EMA_SIZE, fast)
    ema_init(s, o + 2 + 2 * EMA_SIZE, signal)


@njit(cache=True)
def macd_update(count, fast_start, ns, ks, cs, vs, nf, kf, cf, vf, ng, kg, cg, vg, x):
    """TA-Lib MACD transition over (slow, fast, signal) EMA states.

    Returns ``(count, cs, vs, cf, vf, cg, vg, macd, signal, hist)``. TA-Lib seeds the *fast* EMA with the SMA
    of the ``fast`` values that end where the slow EMA's seed ends (indices ``slow-fast .. slow-1``), not
    with the first ``fast`` values; the MACD line starts at index ``slow-1``, the signal EMA is SMA-seeded on
    it, and all three outputs are NaN until the signal exists (index ``slow + signal - 2``).
    """
    nan = np.nan
    if not math.isfinite(x):
        return count, cs, vs, cf, vf, cg, vg, nan, nan, nan
    count += 1.0
    cs, vs, slow_value = ema_update(ns, ks, cs, vs, x)
    fast_value = nan
    if count > fast_start:
        cf, vf, fast_value = ema_update(nf, kf, cf, vf, x)
    if math.isnan(slow_value):
        return count, cs, vs, cf, vf, cg, vg, nan, nan, nan
    line = fast_value - slow_value
    cg, vg, signal = ema_update(ng, kg, cg, vg, line)
    if math.isnan(signal):
        return count, cs, vs, cf, vf, cg, vg, nan, nan, nan
    return count, cs, vs, cf, vf, cg, vg, line, signal, line - signal


@njit(cache=True, inline="always")
def macd_step(s, o, x):
    """Returns ``(macd, signal, hist)``; see :func:`macd_update`."""
    a = o + 2
    b = a + EMA_SIZE
    c = b + EMA_SIZE
    count, cs, vs, cf, vf, cg, vg, line, signal, hist = macd_update(
        s[o],
        s[o + 1],
        s[a],
        s[a + 1],
        s[a + 2],
        s[a + 3],
        s[b],
        s[b + 1],
        s[b + 2],
        s[b + 3],
        s[c],
        s[c + 1],
        s[c + 2],
        s[c + 3],
        x,
    )
    s[o] = count
    s[a + 2] = cs
    s[a + 3] = vs
    s[b + 2] = cf
    s[b + 3] = vf
    s[c + 2] = cg
    s[c + 3] = vg
    return line, signal, hist


@njit(cache=True)
def macd_batch(x, fast, slow, signal):
    s = np.empty(MACD_SIZE)
    macd_init(s, 0, fast, slow, signal)
    count, fast_start = s[0], s[1]
    ns, ks, cs, vs = s[2], s[3], s[4], s[5]
    nf, kf, cf, vf = s[6], s[7], s[8], s[9]
    ng, kg, cg, vg = s[10], s[11], s[12], s[13]
    n = x.shape[0]
    line = np.empty(n)
    sig = np.empty(n)
    hist = np.empty(n)
    for i in range(n):
        count, cs, vs, cf, vf, cg, vg, line[i], sig[i], hist[i] = macd_update(
            count, fast_start, ns, ks, cs, vs, nf, kf, cf, vf, ng, kg, cg, vg, x[i]
        )
    return line, sig, hist


# ----------------------------------------------------------------------------------------------- ATR
# [period, count, prev_close, value, alpha, beta]; value holds the running true-range sum during the seed.
ATR_SIZE = 6


@njit(cache=True)
def atr_init(s, o, period):
    s[o] = period
    for j in range(1, 4):
        s[o + j] = 0.0
    s[o + 4] = 1.0 / period
    s[o + 5] = 1.0 - s[o + 4]


@njit(cache=True)
def atr_update(n, alpha, beta, count, prev_close, value, high, low, close):
    """TA-Lib ATR (Wilder) transition. Returns ``(count, prev_close, value, output)``.

    SMA of the first ``n`` true ranges (from bar 1, first output at index n), then Wilder smoothing in
    TA-Lib 0.8's two-coefficient form ``atr = alpha * tr + beta * atr`` (alpha = 1/n, beta = 1 - alpha; no
    divide on the loop-carried chain). TA-Lib fuses that into one FMA; numba (no fastmath) rounds the
    product separately, so the two agree to ~1e-15 relative rather than bit for bit.
    """
    if not (math.isfinite(high) and math.isfinite(low) and math.isfinite(close)):
        return count, prev_close, value, np.nan
    if count == 0.0:
        return 1.0, close, value, np.nan
    greatest = high - low
    val2 = abs(prev_close - high)
    if val2 > greatest:
        greatest = val2
    val3 = abs(prev_close - low)
    if val3 > greatest:
        greatest = val3
    if count < n:
        return count + 1.0, close, value + greatest, np.nan
    if count == n:
        value = (value + greatest) / n
        return count + 1.0, close, value, value
    value = alpha * greatest + beta * value
    return count + 1.0, close, value, value


@njit(cache=True, inline="always")
def atr_step(s, o, high, low, close):
    count, prev_close, value, out = atr_update(
        s[o], s[o + 4], s[o + 5], s[o + 1], s[o + 2], s[o + 3], high, low, close
    )
    s[o + 1] = count
    s[o + 2] = prev_close
    s[o + 3] = value
    return out


@njit(cache=True)
def atr_batch(high, low, close, period):
    s = np.empty(ATR_SIZE)
    atr_init(s, 0, period)
    n, count, prev_close, value, alpha, beta = s[0], s[1], s[2], s[3], s[4], s[5]
    out = np.empty(close.shape[0])
    for i in range(close.shape[0]):
        count, prev_close, value, out[i] = atr_update(
            n, alpha, beta, count, prev_close, value, high[i], low[i], close[i]
        )
    return out


# Rolling-window kernels live in their own module; re-exported so ``kernels`` is the one place to look.
from engine.features.rolling_kernels import (  # noqa: E402
    CORR_HEADER,
    ROLL_HEADER,
    corr_batch,
    corr_init,
    corr_size,
    corr_step,
    roll_full,
    roll_init,
    roll_push,
    roll_size,
    roll_variance,
    roll_zscore,
    volz_batch,
    volz_init,
    volz_size,
    volz_step,
    zscore_batch,
    zscore_init,
    zscore_size,
    zscore_step,
)

__all__ = [
    "ATR_SIZE",
    "CORR_HEADER",
    "EMA_SIZE",
    "MACD_SIZE",
    "ROLL_HEADER",
    "RSI_SIZE",
    "atr_batch",
    "atr_init",
    "atr_step",
    "atr_update",
    "ema_update",
    "macd_update",
    "rsi_update",
    "corr_batch",
    "corr_init",
    "corr_size",
    "corr_step",
    "ema_batch",
    "ema_init",
    "ema_step",
    "macd_batch",
    "macd_init",
    "macd_step",
    "roll_full",
    "roll_init",
    "roll_push",
    "roll_size",
    "roll_variance",
    "roll_zscore",
    "rsi_batch",
    "rsi_init",
    "rsi_step",
    "volz_batch",
    "volz_init",
    "volz_size",
    "volz_step",
    "zscore_batch",
    "zscore_init",
    "zscore_size",
    "zscore_step",
]
