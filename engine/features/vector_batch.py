"""The feature-vector kernel over whole arrays with the recursive indicators' state in local variables.

:func:`engine.features.vector_kernel.features_batch` calls ``features_step`` per bar, which loads and
stores every indicator's state through the flat state array. Here the recursive indicators (the EMAs,
RSI, MACD, ATR, the liquidity EMAs) keep their state in locals across the loop and call the *same*
``X_update`` transitions (as the single-indicator ``X_batch`` kernels of ``kernels.py`` do); the ring of
closes stays in the array; the rolling z-scores keep their headers in locals too (``roll_push_local``,
rings in the array). Same operations on the same values in the same order, so every output is
bit-identical to ``features_batch`` (and so to the incremental path); the state array ends in the
same state, locals written back at the end.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from numba import njit

from engine.features._cache_guard import flush_if_dependencies_changed
from engine.features.kernels import atr_update, ema_update, macd_update, rsi_update
from engine.features.rolling_kernels import (
    ROLL_HEADER,
    roll_load,
    roll_push_local,
    roll_store,
    roll_variance_local,
    roll_zscore_local,
)
from engine.features.vector_kernel import (
    _H_ATR,
    _H_EMA_FAST,
    _H_EMA_SLOW,
    _H_LIQ_FAST,
    _H_LIQ_SLOW,
    _H_MACD,
    _H_RING,
    _H_RSI,
    _H_VOLUME,
    _H_VOLZ,
    _RING_HEADER,
    EMA_SIZE,
    N_FEATURES,
    N_LAGS,
)


@njit(cache=True, inline="always")
def _valid(o, h, lo, c, v):
    # features_step's test of a bar (a missing bar leaves the state untouched)
    return (
        math.isfinite(o)
        and math.isfinite(h)
        and math.isfinite(lo)
        and math.isfinite(c)
        and math.isfinite(v)
        and c > 0.0
    )


@njit(cache=True)
def features_batch_local(s, open_, high, low, close, volume, matrix, extras):
    """``features_batch`` with the recursive states in locals: rows into ``matrix`` (N, 11), the extras
    and the ready flag into ``extras`` (N, 4)."""
    o_ef, o_es, o_r = int(s[_H_EMA_FAST]), int(s[_H_EMA_SLOW]), int(s[_H_RSI])
    o_m, o_a = int(s[_H_MACD]), int(s[_H_ATR])
    o_vz, o_vol = int(s[_H_VOLZ]), int(s[_H_VOLUME])
    o_lf, o_ls = int(s[_H_LIQ_FAST]), int(s[_H_LIQ_SLOW])
    nf, kf, cf, vf = s[o_ef], s[o_ef + 1], s[o_ef + 2], s[o_ef + 3]
    ns, ks, cs, vs = s[o_es], s[o_es + 1], s[o_es + 2], s[o_es + 3]
    rn, rc, rp, rg, rl = s[o_r], s[o_r + 1], s[o_r + 2], s[o_r + 3], s[o_r + 4]
    ma, mb, mc = o_m + 2, o_m + 2 + EMA_SIZE, o_m + 2 + 2 * EMA_SIZE
    m_count, m_start = s[o_m], s[o_m + 1]
    m_ns, m_ks, m_cs, m_vs = s[ma], s[ma + 1], s[ma + 2], s[ma + 3]
    m_nf, m_kf, m_cf, m_vf = s[mb], s[mb + 1], s[mb + 2], s[mb + 3]
    m_ng, m_kg, m_cg, m_vg = s[mc], s[mc + 1], s[mc + 2], s[mc + 3]
    an, ac, ap, av, aa, ab = s[o_a], s[o_a + 1], s[o_a + 2], s[o_a + 3], s[o_a + 4], s[o_a + 5]
    lfn, lfk, lfc, lfv = s[o_lf], s[o_lf + 1], s[o_lf + 2], s[o_lf + 3]
    lsn, lsk, lsc, lsv = s[o_ls], s[o_ls + 1], s[o_ls + 2], s[o_ls + 3]
    vz_count, vz_prev = s[o_vz], s[o_vz + 1]
    o1 = o_vz + 2
    n1, r1 = s[o1], roll_load(s, o1)
    o2 = o1 + ROLL_HEADER + int(s[o1])
    n2, r2 = s[o2], roll_load(s, o2)
    n3, r3 = s[o_vol], roll_load(s, o_vol)
    lags = np.empty(N_LAGS, dtype=np.int64)
    for j in range(N_LAGS):
        lags[j] = int(s[j])
    # the ring of closes (_push_close / _lag_return) with its header in locals: no float-to-int
    # conversions or modulo per lag, no reloads after each matrix store (which may alias ``s``)
    o_ring = int(s[_H_RING])
    ring_size, ring_count, ring_pos = s[o_ring], s[o_ring + 1], int(s[o_ring + 2])
    ring_n = int(ring_size)
    closes = o_ring + _RING_HEADER
    # The logs are libm calls, and a call clobbers every float register holding the ~60 states above
    # (spilled and reloaded around each of five calls per bar): the loop below takes the close ratios,
    # and the logs of those same values are taken in passes of their own (features 3.38 -> 3.05 ms CPU).
    n_rows = close.shape[0]
    vz_log = np.empty(n_rows)  # log(close / previous valid close), as the vol_z step takes it
    count, prev = vz_count, vz_prev
    for i in range(n_rows):
        c = close[i]
        if _valid(open_[i], high[i], low[i], c, volume[i]):
            if count == 0.0:
                count = 1.0
            else:
                count += 1.0
                vz_log[i] = math.log(c / prev)
            prev = c
    for i in range(n_rows):
        o, h, lo, c, v = open_[i], high[i], low[i], close[i], volume[i]
        if not _valid(o, h, lo, c, v):
            for j in range(N_FEATURES):
                matrix[i, j] = np.nan
            for j in range(3):
                extras[i, j] = np.nan
            extras[i, 3] = 0.0
            continue
        s[closes + ring_pos] = c
        newest = ring_pos
        ring_pos += 1
        if ring_pos >= ring_n:
            ring_pos = 0
        ring_count += 1.0
        if ring_count > ring_size:
            ring_count = ring_size
        for j in range(N_LAGS):
            lag = lags[j]
            if ring_count <= lag:
                matrix[i, j] = np.nan
            else:
                at = newest - lag  # lag < ring_n: (newest - lag) % ring_n in one step
                if at < 0:
                    at += ring_n
                matrix[i, j] = c / s[closes + at]  # its log below
        cf, vf, e = ema_update(nf, kf, cf, vf, c)
        matrix[i, 4] = c / e - 1.0
        cs, vs, e = ema_update(ns, ks, cs, vs, c)
        matrix[i, 5] = c / e - 1.0
        rc, rp, rg, rl, r = rsi_update(rn, rc, rp, rg, rl, c)
        matrix[i, 6] = r / 100.0 - 0.5
        m_count, m_cs, m_vs, m_cf, m_vf, m_cg, m_vg, _, _, hist = macd_update(
            m_count, m_start, m_ns, m_ks, m_cs, m_vs, m_nf, m_kf, m_cf, m_vf, m_ng, m_kg, m_cg, m_vg, c
        )
        matrix[i, 7] = hist / c
        ac, ap, av, atr = atr_update(an, aa, ab, ac, ap, av, h, lo, c)
        matrix[i, 8] = atr / c
        # volz_step and zscore_step (the bar is valid here) with the rolling headers in locals
        vol_z = np.nan
        if vz_count == 0.0:
            vz_count = 1.0
        else:
            vz_count += 1.0
            r1 = roll_push_local(s, o1 + ROLL_HEADER, n1, r1, vz_log[i])
            if r1[0] >= n1:
                sigma = math.sqrt(roll_variance_local(n1, r1))
                r2 = roll_push_local(s, o2 + ROLL_HEADER, n2, r2, sigma)
                if r2[0] >= n2:
                    vol_z = roll_zscore_local(n2, r2, sigma)
        vz_prev = c
        matrix[i, 9] = vol_z
        r3 = roll_push_local(s, o_vol + ROLL_HEADER, n3, r3, v)
        matrix[i, 10] = roll_zscore_local(n3, r3, v) if r3[0] >= n3 else np.nan
        lfc, lfv, fast = ema_update(lfn, lfk, lfc, lfv, v)
        lsc, lsv, slow = ema_update(lsn, lsk, lsc, lsv, v)
        if math.isnan(fast) or math.isnan(slow):
            liquidity = np.nan
        elif slow == 0.0:
            liquidity = 0.0
        else:
            liquidity = min(max(fast / slow, 0.0), 1.0)
        extras[i, 0] = vol_z
        extras[i, 1] = atr
        extras[i, 2] = liquidity
    for i in range(n_rows):
        for j in range(N_LAGS):
            x = matrix[i, j]
            if x == x:  # a ratio (NaN: the lag is not there yet, or the bar is missing)
                matrix[i, j] = math.log(x)
        ready = 1.0  # a missing bar's row is all NaN: 0.0, as set above
        for j in range(N_FEATURES):
            if not math.isfinite(matrix[i, j]):
                ready = 0.0
        extras[i, 3] = ready
    s[o_ring + 1], s[o_ring + 2] = ring_count, float(ring_pos)
    s[o_ef + 2], s[o_ef + 3] = cf, vf
    s[o_es + 2], s[o_es + 3] = cs, vs
    s[o_r + 1], s[o_r + 2], s[o_r + 3], s[o_r + 4] = rc, rp, rg, rl
    s[o_m] = m_count
    s[ma + 2], s[ma + 3], s[mb + 2], s[mb + 3], s[mc + 2], s[mc + 3] = m_cs, m_vs, m_cf, m_vf, m_cg, m_vg
    s[o_a + 1], s[o_a + 2], s[o_a + 3] = ac, ap, av
    s[o_lf + 2], s[o_lf + 3] = lfc, lfv
    s[o_vz], s[o_vz + 1] = vz_count, vz_prev
    roll_store(s, o1, r1)
    roll_store(s, o2, r2)
    roll_store(s, o_vol, r3)
    s[o_ls + 2], s[o_ls + 3] = lsc, lsv


# The kernel inlines code from these modules; numba's cache only watches this file (see _cache_guard).
_HERE = Path(__file__).resolve().parent
flush_if_dependencies_changed(
    globals(),
    [_HERE / "kernels.py", _HERE / "rolling_kernels.py", _HERE / "vector_kernel.py"],
    tag="vector_batch",
)
