"""numba kernels of the research core: first-touch labelling.

numpy in, numpy out; no I/O. ``first_touch`` is checked against a plain-Python reference in the tests.
"""

from __future__ import annotations

import numba
import numpy as np

TOUCH_NONE = 0
TOUCH_TAKE_PROFIT = 1
TOUCH_STOP = 2


@numba.njit(cache=True)
def first_touch(
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    take_profit: np.ndarray,
    stop: np.ndarray,
    horizon: int,
    direction: int = 1,
) -> tuple[np.ndarray, np.ndarray]:
    """Which barrier an entry at ``close[t]`` touches first within ``horizon`` bars.

    Parameters
    ----------
    high, low, close : np.ndarray
        ``(N,)`` float64 bar fields in time order.
    take_profit, stop : np.ndarray
        ``(N,)`` float64 barrier distances as fractions of ``close[t]`` (both > 0, NaN = no entry).
    horizon : int
        Bars after ``t`` that are searched (``t+1 .. t+horizon``).
    direction : int
        1 for a long entry (take-profit above, stop below), -1 for a short (mirrored).

    Returns
    -------
    outcome : np.ndarray
        ``(N,)`` int8: 1 take-profit first, 2 stop first (a bar touching both counts as stop: the
        conservative reading of an OHLC bar), 0 neither within the horizon.
    touch_index : np.ndarray
        ``(N,)`` int64 index of the deciding bar (``t + horizon`` when neither is touched); -1 where
        the horizon runs past the data or the barriers are NaN (label unavailable).
    """
    n = close.shape[0]
    outcome = np.zeros(n, dtype=np.int8)
    touch_index = np.full(n, -1, dtype=np.int64)
    for t in range(n):
        if t + horizon >= n:
            break
        tp = take_profit[t]
        sl = stop[t]
        if not (np.isfinite(tp) and np.isfinite(sl) and np.isfinite(close[t])):
            continue
        if direction > 0:
            target = close[t] * (1.0 + tp)
            stop_px = close[t] * (1.0 - sl)
        else:
            target = close[t] * (1.0 - tp)
            stop_px = close[t] * (1.0 + sl)
        touch_index[t] = t + horizon
        for j in range(t + 1, t + horizon + 1):
            if direction > 0:
                hit_stop = low[j] <= stop_px
                hit_target = high[j] >= target
            else:
                hit_stop = high[j] >= stop_px
                hit_target = low[j] <= target
            if hit_stop:
                outcome[t] = TOUCH_STOP
                touch_index[t] = j
                break
            if hit_target:
                outcome[t] = TOUCH_TAKE_PROFIT
                touch_index[t] = j
                break
    return outcome, touch_index
