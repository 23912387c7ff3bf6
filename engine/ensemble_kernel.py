"""The meta-ensemble formula inside the fused bar kernel, for the strategy's common case.

:func:`engine.ensemble.decide_with` costs about a microsecond of Python per bar. Most bars of a replay
decide with no RL model, no news held and a correlation of exactly 1.0 (one instrument, or the
reference itself); for those the fused kernel (:mod:`engine.models.fused_step`) evaluates the same
formula right after the models, in the same float64 operations and order, and leaves the decision's
numbers and one integer code in a small array. :class:`DecisionCodes` turns a code into the penalties,
action and reason tags ``decide_with`` would build. The strategy checks the assumptions on every bar and
calls ``decide_with`` whenever one does not hold.

The array (float64): ``RESULTS`` slots written by the kernel, then the terms it reads.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from numba import njit

from engine.ensemble import _LEAN_TAGS

# results: what the strategy unpacks with one tolist()
P_SHORT, P_MID, VOL_Z, BASE, SCORE, SIZE, CODE, TERMS_ID = range(8)
RESULTS = 8
# terms, after the results
(
    W_SHORT, W_MID, VOL_Z_ABOVE, PEN_VOL, SENTIMENT_UNDER, PEN_NEWS, LIQUIDITY_UNDER, PEN_LIQUIDITY,
    CORRELATION_UNDER, PEN_CORRELATION, BUY, SELL, BUCKET_LIMIT, SIZE_FACTOR, ACTIVE_ID,
) = range(RESULTS, RESULTS + 15)  # fmt: skip
SIZE_OF = RESULTS + 15

_VOL, _NEWS, _LIQ, _CORR = 1, 2, 4, 8  # penalty bits of a code, in decide_with's insertion order
_ACTIONS = ("HOLD", "BUY", "SELL")
_LEANS = ("bullish", "bearish", "neutral")
_NEWS_TAGS = ("news_negative", "news_positive", "news_neutral")


@njit(cache=True, inline="always")
def _lean(p):
    if p >= 0.55:
        return 0
    if p <= 0.45:
        return 1
    return 2


@njit(cache=True, inline="always")
def neumaier_add(total, comp, x):
    """One term of CPython 3.12's ``sum()`` of floats, from ``(0.0, 0.0)``: Neumaier's compensated sum.
    Add ``comp`` to ``total`` at the end when it is non-zero and finite (as ``sum`` does)."""
    t = total + x
    if abs(total) >= abs(x):
        comp += (total - t) + x
    else:
        comp += (x - t) + total
    return t, comp


@njit(cache=True, inline="always")
def decide_common(d, p_short, p_mid, vol_z, liquidity):
    """decide_with's numbers with no RL hint, sentiment 0.0 and correlation 1.0, into ``d`` (see the
    module docstring); nothing when the terms are not loaded (``d[ACTIVE_ID] < 0``)."""
    if d[ACTIVE_ID] < 0.0:
        d[TERMS_ID] = -1.0
        return
    base = d[W_SHORT] * p_short + d[W_MID] * p_mid
    bits = 0
    total, comp = 0.0, 0.0  # sum(penalties.values()), in insertion order
    if vol_z > d[VOL_Z_ABOVE]:
        bits |= _VOL
        total, comp = neumaier_add(total, comp, d[PEN_VOL])
    if d[SENTIMENT_UNDER] > 0.0:
        bits |= _NEWS
        total, comp = neumaier_add(total, comp, d[PEN_NEWS])
    if liquidity < d[LIQUIDITY_UNDER]:
        bits |= _LIQ
        total, comp = neumaier_add(total, comp, d[PEN_LIQUIDITY])
    if d[CORRELATION_UNDER] > 1.0:
        bits |= _CORR
        total, comp = neumaier_add(total, comp, d[PEN_CORRELATION])
    if comp != 0.0 and math.isfinite(comp):
        total += comp
    x = base - total if bits else base
    x = x if x > 0.0 else 0.0
    score = x if x < 1.0 else 1.0
    if score >= d[BUY]:
        action = 1
    elif score <= d[SELL]:
        action = 2
    else:
        action = 0
    size = 0.0
    if action != 0:
        size = d[BUCKET_LIMIT] / 100.0 * 2.0 * abs(score - 0.5)
        size *= d[SIZE_FACTOR]
    if bits & _NEWS:
        news = 0
    elif -d[SENTIMENT_UNDER] < 0.0:
        news = 1
    else:
        news = 2
    d[P_SHORT] = p_short
    d[P_MID] = p_mid
    d[VOL_Z] = vol_z
    d[BASE] = base
    d[SCORE] = score
    d[SIZE] = size
    d[CODE] = bits + 16 * (action + 3 * (_lean(p_short) + 3 * (_lean(p_mid) + 3 * news)))
    d[TERMS_ID] = d[ACTIVE_ID]


def load_terms(d: np.ndarray, terms, bucket_limit_pct: float, terms_id: int) -> None:
    """Write ``terms`` (an ``engine.ensemble._Terms`` without RL) into ``d`` under ``terms_id`` (>= 0)."""
    d[W_SHORT], d[W_MID] = terms.w_short, terms.w_mid
    d[VOL_Z_ABOVE], d[PEN_VOL] = terms.vol_z, terms.pen_vol
    d[SENTIMENT_UNDER], d[PEN_NEWS] = terms.sentiment, terms.pen_news
    d[LIQUIDITY_UNDER], d[PEN_LIQUIDITY] = terms.liquidity, terms.pen_liquidity
    d[CORRELATION_UNDER], d[PEN_CORRELATION] = terms.correlation, terms.pen_correlation
    d[BUY], d[SELL] = terms.buy, terms.sell
    d[BUCKET_LIMIT], d[SIZE_FACTOR] = bucket_limit_pct, terms.size_factor
    d[ACTIVE_ID] = float(terms_id)


def unload_terms(d: np.ndarray) -> None:
    """Stop deciding in the kernel (an RL model is loaded: its hint is Python's)."""
    d[ACTIVE_ID] = -1.0


class DecisionCodes(dict):
    """Code -> ``(penalties, action, reason tags)`` as ``decide_with`` builds them under ``terms`` (no RL
    model: ``rl_missing``), each code decoded on its first lookup (a dict: a hit costs no Python call).
    The penalties dict is shared: copy it for a decision.

    Parameters
    ----------
    terms : engine.ensemble._Terms
        The terms the kernel was loaded with.
    """

    __slots__ = ("_terms",)

    def __init__(self, terms) -> None:
        super().__init__()
        self._terms = terms

    def __missing__(self, code: int) -> tuple[dict[str, float], str, tuple[str, ...]]:
        parts = self[code] = self._decode(code)
        return parts

    def _decode(self, code: int):
        t = self._terms
        bits, rest = code % 16, code // 16
        action, rest = rest % 3, rest // 3
        short, rest = rest % 3, rest // 3
        mid, news = rest % 3, rest // 3
        penalties = dict(
            (name, value)
            for bit, name, value in (
                (_VOL, "vol_spike", t.pen_vol),
                (_NEWS, "news_negative", t.pen_news),
                (_LIQ, "low_liquidity", t.pen_liquidity),
                (_CORR, "correlation_breakdown", t.pen_correlation),
            )
            if bits & bit
        )
        tags = (
            _LEAN_TAGS["short"][_LEANS[short]],
            _LEAN_TAGS["mid"][_LEANS[mid]],
            "rl_missing",
            _NEWS_TAGS[news],
            "vol_spike" if bits & _VOL else "vol_normal",
        )
        if bits & _LIQ:
            tags += ("liquidity_low",)
        if bits & _CORR:
            tags += ("correlation_breakdown",)
        return penalties, _ACTIONS[action], tags


_ids = itertools.count()


def next_terms_id() -> int:
    """A fresh id for a load of terms: a kernel result carries the id of the terms it used."""
    return next(_ids)
