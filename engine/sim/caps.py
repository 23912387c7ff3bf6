"""Caps and budgets (numba): the clamp's entry sizing, drift trims back under the caps, and the
order-rate budget's one-second ring of submit times."""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from engine.sim.fills import close_trade, market
from engine.sim.layout import C_TRIMS, EXIT_TRIM


@njit(cache=True, inline="always")
def entry_clamp(req, wants, b, eligible, long_only, fno_allowed, name_cap, bucket_cap, bucket_gross, snav,
                min_size, keep):  # fmt: skip
    """``engine.risk.clamp.assess`` for an entry: ``(approved, reduced)`` fractions of the sizing NAV.

    ``req`` is the decision's size, ``b`` the bucket (0 core, 1 penny, 2 F&O), ``eligible`` the penny rule,
    ``long_only`` / ``fno_allowed`` the mode's gates, ``name_cap`` / ``bucket_cap`` its caps,
    ``bucket_gross`` the bucket's gross notional, ``snav`` the sizing NAV, ``keep`` 1 - entry buffer.
    """
    approved = req
    reduced = False
    if req < min_size:
        approved = 0.0
    if long_only and wants < 0:
        approved = 0.0
        reduced = True
    if not eligible or (b == 2 and not fno_allowed):
        approved = 0.0  # penny rule / F&O disabled: no new exposure
        reduced = True
    ncap = name_cap
    bcap = bucket_cap
    if keep != 1.0:  # the entry buffer
        ncap = ncap * keep
        bcap = bcap * keep
    if ncap < approved:
        approved = ncap
        reduced = True
    room = bcap - bucket_gross / snav
    if room < 0.0:
        room = 0.0
    if room < approved:
        approved = room
        reduced = True
    return approved, reduced


@njit(cache=True, inline="always")
def trims(
    e,
    n,
    nav,
    notional,
    target,
    bucket,
    name_cap,
    bucket_cap,
    keep,
    trigger,
    strat_last,
    inc_sz,
    msc,
    pos,
    quote,
    level,
    px_scale,
    taker,
    avg,
    cash,
    fees_pos,
    gross_pos,
    close_units,
    close_notional,
    trades,
    open_trade,
    counters,
):
    # engine.risk.clamp.drift_trims, then reduce-only market orders (target[j] != 0 marks a trim sent);
    # taker is the per-instrument taker fee
    cur = np.zeros(n)
    tgt = np.zeros(n)
    bg = np.zeros(3)
    over = False
    for j in range(n):
        cur[j] = notional[j] / nav
        tgt[j] = cur[j]
        cap = name_cap[bucket[j]]
        if abs(cur[j]) > cap * trigger:
            tgt[j] = math.copysign(cap * keep, cur[j])
            over = True
        bg[bucket[j]] += abs(tgt[j])
    for b in range(3):
        cap = bucket_cap[b]
        if bg[b] > cap * trigger:
            scale = cap * keep / bg[b]
            for j in range(n):
                if bucket[j] == b and cur[j] != 0.0:
                    tgt[j] = tgt[j] * scale
                    over = True
    for j in range(n):
        target[j] = 0.0
    if not over:
        return
    for j in range(n):
        if tgt[j] == cur[j] or pos[j] == 0:
            continue
        units = int(math.floor(abs(cur[j] - tgt[j]) * nav / strat_last[j] / inc_sz[j] + 1e-9))
        if units < 1:
            continue
        if units > abs(pos[j]):  # reduce-only: never through flat
            units = abs(pos[j])
        sgn = -1 if pos[j] > 0 else 1
        target[j] = 1.0
        counters[C_TRIMS] += 1
        market(
            j, sgn * units, quote, level, px_scale, taker[j], pos, avg, cash, fees_pos, gross_pos,
            close_units, close_notional, inc_sz, msc
        )  # fmt: skip
        if pos[j] == 0:
            close_trade(
                j, e, EXIT_TRIM, trades, open_trade, close_notional, close_units, gross_pos, fees_pos,
                inc_sz
            )  # fmt: skip


@njit(cache=True, inline="always")
def rate_prune(rate_ts, head, length, t):
    # keep submits in (t - 1 s, t]; the ring is in time order starting at head
    size = rate_ts.shape[0]
    while length > 0 and rate_ts[head] <= t - 1_000_000_000:
        head = (head + 1) % size
        length -= 1
    return head, length


@njit(cache=True, inline="always")
def rate_record(rate_ts, head, length, t):
    size = rate_ts.shape[0]
    head, length = rate_prune(rate_ts, head, length, t)
    if length < size:
        rate_ts[(head + length) % size] = t
        length += 1
    return head, length
