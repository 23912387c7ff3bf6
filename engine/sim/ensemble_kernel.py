"""The vectorised ensemble (:func:`engine.sim.decisions.ensemble_arrays`) as one numba pass over the arrays.

Element by element the same operations in the same order as the numpy expression it replaces (which is
itself checked against :func:`engine.ensemble.decide`): the blend, the penalties summed the way CPython's
``sum`` does (Neumaier compensation), ``np.minimum(1, np.maximum(0, x))`` with numpy's NaN rule, the
thresholds and the size. The RL hint's sigmoid stays in Python (libm's ``exp``), passed in as an array.
One pass instead of ~30 array temporaries; no fastmath, so the same bits.
"""

from __future__ import annotations

import math

from numba import njit

from engine.ensemble_kernel import neumaier_add


@njit(cache=True, inline="always")
def _np_maximum(a, b):
    return a if (a >= b or math.isnan(a)) else b


@njit(cache=True, inline="always")
def _np_minimum(a, b):
    return a if (a <= b or math.isnan(a)) else b


@njit(cache=True)
def ensemble_kernel(
    p_short, p_mid, rl_sigmoid, has_rl, vol_z, sentiment, liquidity, correlation, limits,
    weights, triggers, penalties, buy, sell, missing_rl_factor, action, size,
):  # fmt: skip
    """``weights`` (short, mid, rl); ``triggers`` and ``penalties`` (vol_z, sentiment, liquidity,
    correlation); writes ``action`` (int8) and ``size``."""
    for i in range(p_short.shape[0]):
        base = weights[0] * p_short[i] + weights[1] * p_mid[i]
        if has_rl:
            base = base + weights[2] * rl_sigmoid[i]
        s, c = 0.0, 0.0
        s, c = neumaier_add(s, c, penalties[0] if vol_z[i] > triggers[0] else 0.0)
        s, c = neumaier_add(s, c, penalties[1] if sentiment[i] < triggers[1] else 0.0)
        s, c = neumaier_add(s, c, penalties[2] if liquidity[i] < triggers[2] else 0.0)
        s, c = neumaier_add(s, c, penalties[3] if correlation[i] < triggers[3] else 0.0)
        total = s + c if (c != 0.0 and math.isfinite(c)) else s
        score = _np_minimum(1.0, _np_maximum(0.0, base - total))
        a = 1 if score >= buy else (-1 if score <= sell else 0)
        sz = limits[i] / 100.0 * 2.0 * abs(score - 0.5)
        if not has_rl:
            sz = sz * missing_rl_factor
        action[i] = a
        size[i] = 0.0 if a == 0 else sz


# ensemble_kernel inlines neumaier_add; numba's cache only watches this file (see _cache_guard)
from pathlib import Path  # noqa: E402

from engine.features._cache_guard import flush_if_dependencies_changed  # noqa: E402

flush_if_dependencies_changed(
    globals(), [Path(__file__).resolve().parents[1] / "ensemble_kernel.py"], tag="sim_ensemble_kernel"
)
