"""Protective exits at the portfolio step (numba): the trailing stop, and the re-protection of a position
whose stop the venue rejected (``strategies.protection``)."""

from __future__ import annotations

import numpy as np
from numba import njit

from engine.sim.fills import flatten, round_px
from engine.sim.layout import (
    C_BRACKET_REJECTED,
    C_REPROTECT_CLOSES,
    C_STOPS_RESUBMITTED,
    C_TRAILS,
    EXIT_STOP_THROUGH,
)


@njit(cache=True, inline="always")
def trail_stop(i, close, trail_atr, has_bracket, pos, avg, best, entry_atr, sl, tp, tp_filled, px_scale,
               counters):  # fmt: skip
    """Trail instrument ``i``'s stop behind the best close once the trade is ``trail_atr`` x ATR in profit."""
    if not has_bracket[i] or pos[i] == 0:
        return
    sgn = 1.0 if pos[i] > 0 else -1.0
    best[i] = max(best[i], close) if sgn > 0 else min(best[i], close)
    dist = trail_atr * entry_atr[i]
    if sgn * (best[i] - avg[i]) >= dist:
        cand = best[i] - sgn * dist
        if sgn * (cand - sl[i]) > 0.0:
            new = round_px(cand, px_scale[i])
            if new != sl[i]:
                sl[i] = new
                counters[C_TRAILS] += 1
                # the venue syncs the stop's one-updates-other partner on a modify: a take-profit that
                # already filled the position's remaining size is cancelled
                if tp_filled[i] > 0 and tp_filled[i] >= abs(pos[i]):
                    tp[i] = np.nan


@njit(cache=True, inline="always")
def reprotect_stops(
    e,
    n,
    reprotect,
    has_bracket,
    strat_last,
    sl,
    tp,
    quote,
    level,
    px_scale,
    taker,
    pos,
    avg,
    cash,
    fees_pos,
    gross_pos,
    close_units,
    close_notional,
    inc_sz,
    msc,
    trades,
    open_trade,
    counters,
):
    """A rejected stop goes back at its level (without its take-profit), or the position closes at market
    when the last close is already through that level. Returns the number of orders submitted."""
    sent = 0
    for j in range(n):
        if not reprotect[j]:
            continue
        reprotect[j] = False
        if pos[j] == 0:
            continue
        sgn = 1.0 if pos[j] > 0 else -1.0
        if sgn * (strat_last[j] - sl[j]) <= 0.0:
            flatten(
                j, e, EXIT_STOP_THROUGH, quote, level, px_scale, taker[j], pos, avg, cash, fees_pos,
                gross_pos, close_units, close_notional, inc_sz, msc, trades, open_trade
            )  # fmt: skip
            counters[C_REPROTECT_CLOSES] += 1
        else:
            tp[j] = np.nan  # the take-profit went with the rejected stop; only the stop returns
            counters[C_STOPS_RESUBMITTED] += 1
            in_market = quote[j, 0] <= sl[j] if sgn > 0 else quote[j, 1] >= sl[j]
            has_bracket[j] = not in_market
            reprotect[j] = in_market
            if in_market:
                counters[C_BRACKET_REJECTED] += 1
        sent += 1
    return sent
