"""numba kernels for rolling-window statistics: moments, z-scores, volatility z-score, correlation.

Same state-machine protocol and conventions as :mod:`engine.features.kernels` (read its module docstring):
ddof = 0, missing bars skipped, error-bounded O(1) updates with exact recomputation, constant windows give
z = 0 and corr = 0.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

_EPS = 2.220446049250313e-16

# ------------------------------------------------------------------------------------ rolling moments
# [window, count, pos, mean, m2, since_recompute, run_length, last, m2_error, mean_error] + ring (window)
#
# Full windows are updated in O(1) by the exact add-and-evict identities
#   mean' = mean + (x - old) / n,   M2' = M2 + (x - old) * (x + old - mean - mean'),
# while a running bound on the rounding error they accumulate is kept. The window is recomputed exactly
# (two-pass over the ring buffer, O(n)) when that bound exceeds _TOL * M2 (e.g. a large value has just
# left the window and M2 collapsed), and in any case every n updates, so the result stays within ~1e-13
# relative of a fresh two-pass computation however long the stream runs.
ROLL_HEADER = 10
_TOL = 1e-13


@njit(cache=True)
def roll_size(window):
    return ROLL_HEADER + window


@njit(cache=True)
def roll_init(s, o, window):
    s[o] = window
    for j in range(1, ROLL_HEADER + window):
        s[o + j] = 0.0


@njit(cache=True)
def _roll_recompute(s, o, n):
    base = o + ROLL_HEADER
    w = int(n)
    total = 0.0
    for j in range(w):
        total += s[base + j]
    mean = total / n
    m2 = 0.0
    for j in range(w):
        d = s[base + j] - mean
        m2 += d * d
    s[o + 3] = mean
    s[o + 4] = m2
    s[o + 8] = 0.0
    s[o + 9] = 0.0


@njit(cache=True, inline="always")
def roll_push(s, o, x):
    """Append finite ``x`` to the window (evicting the oldest value once full)."""
    n = s[o]
    count = s[o + 1]
    pos = int(s[o + 2])
    base = o + ROLL_HEADER
    if count > 0.0 and x == s[o + 7]:
        if s[o + 6] < n:
            s[o + 6] += 1.0
    else:
        s[o + 6] = 1.0
    s[o + 7] = x
    if count < n:
        count += 1.0
        s[o + 1] = count
        mean = s[o + 3]
        d = x - mean
        mean += d / count
        s[o + 4] += d * (x - mean)
        s[o + 3] = mean
        s[base + pos] = x
    else:
        old = s[base + pos]
        s[base + pos] = x
        since = s[o + 5] + 1.0
        mean = s[o + 3]
        d = x - old
        new_mean = mean + d / n
        m2 = s[o + 4] + d * (x + old - mean - new_mean)
        mean_err = s[o + 9] + _EPS * (abs(new_mean) + abs(d) / n)
        err = s[o + 8] + _EPS * (abs(d) * (abs(x) + abs(old) + abs(mean) + abs(new_mean)) + abs(m2))
        err += 2.0 * abs(d) * mean_err
        if since >= n or err > _TOL * m2:
            since = 0.0
            _roll_recompute(s, o, n)
        else:
            s[o + 3] = new_mean
            s[o + 4] = m2
            s[o + 8] = err
            s[o + 9] = mean_err
        s[o + 5] = since
    pos += 1
    if pos >= n:
        pos = 0
    s[o + 2] = pos


@njit(cache=True, inline="always")
def roll_full(s, o):
    return s[o + 1] >= s[o]


@njit(cache=True, inline="always")
def _window_variance(n, since, m2, mean):
    """Population variance of a full window of ``n`` from its header values (``since``: the constant run's
    length, ``m2``: sum of squared deviations); exactly 0.0 for a constant (or sub-rounding-floor) window."""
    if since >= n:
        return 0.0
    var = m2 / n
    if var <= 4.0 * n * _EPS * mean * mean or var <= 0.0:
        return 0.0
    return var


@njit(cache=True, inline="always")
def _zscore_of(x, mean, var):
    if var == 0.0:
        return 0.0
    return (x - mean) / math.sqrt(var)


@njit(cache=True, inline="always")
def roll_variance(s, o):
    """Population variance of a full window; exactly 0.0 for a constant (or sub-rounding-floor) window."""
    return _window_variance(s[o], s[o + 6], s[o + 4], s[o + 3])


@njit(cache=True, inline="always")
def roll_zscore(s, o, x):
    """z-score of ``x`` (the newest value) against the full window; 0.0 for a constant window."""
    return _zscore_of(x, s[o + 3], roll_variance(s, o))


# The same block with its header in local variables (batch kernels): ``roll_load`` reads the header,
# ``roll_push_local`` is ``roll_push`` on those locals (the ring stays in ``s``), ``roll_store`` writes it
# back. Same operations in the same order, so the same bits.
@njit(cache=True, inline="always")
def roll_load(s, o):
    """(count, pos, mean, m2, since, run, last, m2_err, mean_err) of the block at ``o``."""
    return s[o + 1], int(s[o + 2]), s[o + 3], s[o + 4], s[o + 5], s[o + 6], s[o + 7], s[o + 8], s[o + 9]


@njit(cache=True, inline="always")
def roll_store(s, o, st):
    count, pos, mean, m2, since, run, last, m2_err, mean_err = st
    s[o + 1], s[o + 2], s[o + 3], s[o + 4], s[o + 5] = count, float(pos), mean, m2, since
    s[o + 6], s[o + 7], s[o + 8], s[o + 9] = run, last, m2_err, mean_err


@njit(cache=True, inline="always")
def roll_push_local(s, base, n, st, x):
    """``roll_push`` of finite ``x`` on header ``st`` (from ``roll_load``); ring at ``s[base:]``."""
    count, pos, mean, m2, since, run, last, m2_err, mean_err = st
    if count > 0.0 and x == last:
        if run < n:
            run += 1.0
    else:
        run = 1.0
    last = x
    if count < n:
        count += 1.0
        d = x - mean
        mean += d / count
        m2 += d * (x - mean)
        s[base + pos] = x
    else:
        old = s[base + pos]
        s[base + pos] = x
        since += 1.0
        d = x - old
        new_mean = mean + d / n
        new_m2 = m2 + d * (x + old - mean - new_mean)
        new_mean_err = mean_err + _EPS * (abs(new_mean) + abs(d) / n)
        err = m2_err + _EPS * (abs(d) * (abs(x) + abs(old) + abs(mean) + abs(new_mean)) + abs(new_m2))
        err += 2.0 * abs(d) * new_mean_err
        if since >= n or err > _TOL * new_m2:
            since = 0.0
            w = int(n)
            total = 0.0
            for j in range(w):
                total += s[base + j]
            mean = total / n
            m2 = 0.0
            for j in range(w):
                dd = s[base + j] - mean
                m2 += dd * dd
            m2_err = 0.0
            mean_err = 0.0
        else:
            mean, m2, m2_err, mean_err = new_mean, new_m2, err, new_mean_err
    pos += 1
    if pos >= n:
        pos = 0
    return count, pos, mean, m2, since, run, last, m2_err, mean_err


@njit(cache=True, inline="always")
def roll_variance_local(n, st):
    """``roll_variance`` on header ``st``."""
    return _window_variance(n, st[5], st[3], st[2])


@njit(cache=True, inline="always")
def roll_zscore_local(n, st, x):
    return _zscore_of(x, st[2], roll_variance_local(n, st))


# ------------------------------------------------------------------------------------ volume z-score
@njit(cache=True)
def zscore_size(window):
    return roll_size(window)


@njit(cache=True)
def zscore_init(s, o, window):
    roll_init(s, o, window)


@njit(cache=True, inline="always")
def zscore_step(s, o, x):
    """z-score of ``x`` against the last ``window`` values including itself (ddof=0)."""
    if not math.isfinite(x):
        return np.nan
    roll_push(s, o, x)
    if not roll_full(s, o):
        return np.nan
    return roll_zscore(s, o, x)


@njit(cache=True)
def zscore_batch(x, window):
    s = np.empty(zscore_size(window))
    zscore_init(s, 0, window)
    out = np.empty(x.shape[0])
    for i in range(x.shape[0]):
        out[i] = zscore_step(s, 0, x[i])
    return out


# -------------------------------------------------------------------------------- volatility z-score
# [count, prev_close] + roll(window) over log returns + roll(lookback) over sigma
@njit(cache=True)
def volz_size(window, lookback):
    return 2 + roll_size(window) + roll_size(lookback)


@njit(cache=True)
def volz_init(s, o, window, lookback):
    s[o] = 0.0
    s[o + 1] = 0.0
    roll_init(s, o + 2, window)
    roll_init(s, o + 2 + roll_size(window), lookback)


@njit(cache=True, inline="always")
def volz_step(s, o, close):
    """Volatility z-score: sigma_t = population std of the last ``window`` 1-bar log returns;
    z_t = (sigma_t - mean(sigma)) / std(sigma) over the last ``lookback`` sigmas (ddof=0, including sigma_t).
    First finite output after ``window + lookback - 1`` valid bars (index ``window + lookback - 1``).
    """
    if not (math.isfinite(close) and close > 0.0):
        return np.nan
    count = s[o]
    s[o] = count + 1.0
    prev = s[o + 1]
    s[o + 1] = close
    if count == 0.0:
        return np.nan
    r = math.log(close / prev)
    o1 = o + 2
    roll_push(s, o1, r)
    if not roll_full(s, o1):
        return np.nan
    sigma = math.sqrt(roll_variance(s, o1))
    o2 = o1 + int(roll_size(int(s[o1])))
    roll_push(s, o2, sigma)
    if not roll_full(s, o2):
        return np.nan
    return roll_zscore(s, o2, sigma)


@njit(cache=True)
def volz_batch(close, window, lookback):
    s = np.empty(volz_size(window, lookback))
    volz_init(s, 0, window, lookback)
    out = np.empty(close.shape[0])
    for i in range(close.shape[0]):
        out[i] = volz_step(s, 0, close[i])
    return out


# ------------------------------------------------------------------------------ rolling correlation
# [window, count, pos, mean_x, mean_y, m2_x, m2_y, c_xy, since_recompute, run_x, last_x, run_y, last_y,
#  err_m2_x, err_m2_y, err_c_xy, err_mean_x, err_mean_y] + ring buffer x (window) + ring buffer y (window)
# Same add-and-evict updates with error bounds and exact recomputation as the rolling-moments block; the
# co-moment uses C' = C + (x - mx)(y - my') - (ox - mx)(oy - my').
CORR_HEADER = 18


@njit(cache=True)
def corr_size(window):
    return CORR_HEADER + 2 * window


@njit(cache=True)
def corr_init(s, o, window):
    s[o] = window
    for j in range(1, CORR_HEADER + 2 * window):
        s[o + j] = 0.0


@njit(cache=True)
def _run(s, i, x, count, n):
    if count > 0.0 and x == s[i + 1]:
        if s[i] < n:
            s[i] += 1.0
    else:
        s[i] = 1.0
    s[i + 1] = x


@njit(cache=True)
def _corr_recompute(s, o, n):
    w = int(n)
    bx = o + CORR_HEADER
    by = bx + w
    sx = 0.0
    sy = 0.0
    for j in range(w):
        sx += s[bx + j]
        sy += s[by + j]
    mx = sx / n
    my = sy / n
    m2x = 0.0
    m2y = 0.0
    cxy = 0.0
    for j in range(w):
        dx = s[bx + j] - mx
        dy = s[by + j] - my
        m2x += dx * dx
        m2y += dy * dy
        cxy += dx * dy
    s[o + 3] = mx
    s[o + 4] = my
    s[o + 5] = m2x
    s[o + 6] = m2y
    s[o + 7] = cxy
    for j in range(13, 18):
        s[o + j] = 0.0


@njit(cache=True)
def _flat(s, o, run_index, mean_index, m2_index, n):
    if s[o + run_index] >= n:
        return True
    var = s[o + m2_index] / n
    mean = s[o + mean_index]
    return var <= 4.0 * n * _EPS * mean * mean or var <= 0.0


@njit(cache=True)
def corr_step(s, o, x, y):
    """Pearson correlation of the last ``window`` pairs ``(x, y)`` (both finite, else the pair is missing).

    Returns NaN until ``window`` pairs were seen, 0.0 when either side of the window is constant, and a value
    clipped to [-1, 1] otherwise.
    """
    if not (math.isfinite(x) and math.isfinite(y)):
        return np.nan
    n = s[o]
    count = s[o + 1]
    pos = int(s[o + 2])
    w = int(n)
    bx = o + CORR_HEADER
    by = bx + w
    _run(s, o + 9, x, count, n)
    _run(s, o + 11, y, count, n)
    if count < n:
        count += 1.0
        s[o + 1] = count
        dx = x - s[o + 3]
        mx = s[o + 3] + dx / count
        dy = y - s[o + 4]
        my = s[o + 4] + dy / count
        s[o + 5] += dx * (x - mx)
        s[o + 6] += dy * (y - my)
        s[o + 7] += dx * (y - my)
        s[o + 3] = mx
        s[o + 4] = my
        s[bx + pos] = x
        s[by + pos] = y
    else:
        ox = s[bx + pos]
        oy = s[by + pos]
        s[bx + pos] = x
        s[by + pos] = y
        since = s[o + 8] + 1.0
        mx = s[o + 3]
        my = s[o + 4]
        dx = x - ox
        dy = y - oy
        nmx = mx + dx / n
        nmy = my + dy / n
        m2x = s[o + 5] + dx * (x + ox - mx - nmx)
        m2y = s[o + 6] + dy * (y + oy - my - nmy)
        a = (x - mx) * (y - nmy)
        b = (ox - mx) * (oy - nmy)
        cxy = s[o + 7] + (a - b)
        emx = s[o + 16] + _EPS * (abs(nmx) + abs(dx) / n)
        emy = s[o + 17] + _EPS * (abs(nmy) + abs(dy) / n)
        ex = s[o + 13] + _EPS * (abs(dx) * (abs(x) + abs(ox) + abs(mx) + abs(nmx)) + abs(m2x))
        ex += 2.0 * abs(dx) * emx
        ey = s[o + 14] + _EPS * (abs(dy) * (abs(y) + abs(oy) + abs(my) + abs(nmy)) + abs(m2y))
        ey += 2.0 * abs(dy) * emy
        ec = s[o + 15] + 4.0 * _EPS * (abs(a) + abs(b) + abs(cxy))
        ec += _EPS * (abs(x) + abs(mx) + abs(ox)) * (abs(y) + abs(nmy) + abs(oy))
        ec += abs(dy) * emx + abs(dx) * emy
        if since >= n or ex > _TOL * m2x or ey > _TOL * m2y or ec * ec > _TOL * _TOL * (m2x * m2y):
            since = 0.0
            _corr_recompute(s, o, n)
        else:
            s[o + 3] = nmx
            s[o + 4] = nmy
            s[o + 5] = m2x
            s[o + 6] = m2y
            s[o + 7] = cxy
            s[o + 13] = ex
            s[o + 14] = ey
            s[o + 15] = ec
            s[o + 16] = emx
            s[o + 17] = emy
        s[o + 8] = since
    pos += 1
    if pos >= w:
        pos = 0
    s[o + 2] = pos
    if count < n:
        return np.nan
    if _flat(s, o, 9, 3, 5, n) or _flat(s, o, 11, 4, 6, n):
        return 0.0
    r = s[o + 7] / math.sqrt(s[o + 5] * s[o + 6])
    if r > 1.0:
        return 1.0
    if r < -1.0:
        return -1.0
    return r


@njit(cache=True)
def corr_batch(x, y, window):
    s = np.empty(corr_size(window))
    corr_init(s, 0, window)
    out = np.empty(x.shape[0])
    for i in range(x.shape[0]):
        out[i] = corr_step(s, 0, x[i], y[i])
    return out
