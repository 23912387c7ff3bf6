"""The research simulator's execution kernel (numba): decisions + bars -> fills, trades, equity.

One pass over a flat bar event stream (any number of instruments), sorted by time and then instrument
id, in the order the Nautilus ``BacktestEngine`` and the strategy handle it (see :mod:`engine.sim`):

1. per bar: the venue moves the instrument's market through the bar's prices and fills resting brackets
   (:func:`engine.sim.fills.exit_bracket`); the strategy records the close;
2. after a timestamp's last bar, the portfolio step: mark NAV -> day roll, SIP, kill switch
   (:mod:`engine.sim.killswitch`) -> trail the stops and re-protect rejected ones (:mod:`engine.sim.exits`)
   -> drift trims (:mod:`engine.sim.caps`) -> decisions (entry, or flatten on a reversal);
3. the step's orders fill at the venue's bid/ask (it drains its queue after the handler), market orders
   with the L1 size of the last price point, the rest one tick worse.

Quantities are integer multiples of the size increment (``units``) so a position never drifts by float
rounding. No I/O, no allocation in the loop beyond the preallocated outputs. Speed: a numba call that
passes the book's arrays costs more than the work it does, so the per-bar price points and the kill
switch's per-mark check are written out here, helpers run on every step are inlined
(``inline="always"``) and the rest is called only when it has something to do (a fill, an open
bracket, a pending re-protection); calling a per-bar helper made the kernel 4-7x slower. The array layouts
(``P_*``, ``T_*``, ``E_*``, ``C_*``, ``EXIT_*``) live in :mod:`engine.sim.layout` and are re-exported here.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from engine.sim.caps import entry_clamp, rate_prune, rate_record, trims
from engine.sim.exits import reprotect_stops, trail_stop
from engine.sim.fills import exit_bracket, flatten, market, nt_double, rematch_take_profits, round_px
from engine.sim.killswitch import fire, new_state, roll_day
from engine.sim.layout import *  # noqa: F403  (the layouts are part of this module's interface)
from engine.sim.layout import (
    C_BAD_EXIT_PX,
    C_BRACKET_REJECTED,
    C_BUY,
    C_ENTRIES,
    C_HOLD,
    C_RATE_BLOCKED,
    C_REDUCED,
    C_REJECTED,
    C_REPROTECT_CLOSES,
    C_REVERSALS,
    C_SELL,
    C_SHORT_BLOCKED,
    C_SKIP_TP_BELOW_FEE,
    C_STOPS_RESUBMITTED,
    C_TOO_SMALL,
    C_TRAILS,
    C_TRIMS,
    E_BUCKET0,
    E_DAY_PNL,
    E_DEMO,
    E_GROSS,
    E_HALTED,
    E_KILLED,
    E_MAX_NAME,
    E_NAV,
    E_NET,
    EXIT_KILL,
    EXIT_OPEN,
    EXIT_REVERSAL,
    K_CUR_DAY,
    K_DEMO_TODAY,
    K_HALTED,
    K_LAST_NAV,
    K_QUARANTINE_TODAY,
    K_SIP,
    K_SOD_NAV,
    P_ENTRY_KEEP,
    P_ENTRY_LIMIT,
    P_KILL,
    P_MIN_SIZE,
    P_NAV,
    P_Q_WINDOW,
    P_STOP_ATR,
    P_TP_ATR,
    P_TRAIL_ATR,
    P_TRIM_KEEP,
    P_TRIM_TRIGGER,
    T_DEMO,
    T_ENTRY_EVENT,
    T_ENTRY_PX,
    T_EXIT_EVENT,
    T_EXIT_PX,
    T_EXIT_REASON,
    T_INST,
    T_REDUCED,
    T_SIDE,
    T_SIZE_POST,
    T_SIZE_PRE,
    T_UNITS,
)


@njit(cache=True)
def simulate(
    ts,
    inst,
    day,
    o,
    h,
    low,
    c,
    vol_units,
    action,
    size_pre,
    atr,
    px_scale,
    inc_sz,
    msc,
    taker,
    maker,
    round_trip,
    may_short,
    bucket,
    name_cap,
    bucket_cap,
    long_only,
    fno_allowed,
    eligible,
    group_end,
    trade_step,
    params,
    trades,
    equity,
    counters,
):
    """Simulate the strategy's execution over a bar event stream.

    Parameters
    ----------
    ts, inst, day : int64 arrays (E,)
        Bar time (ns), instrument index, UTC day number, in processing order.
    o, h, low, c : float64 arrays (E,)
        Bar prices, already at the instrument's price precision.
    vol_units : int64 array (E,)
        Bar volume in size increments.
    action : int8 array (E,)
        The ensemble's decision: 1 BUY, -1 SELL, 0 HOLD, 2 not ready (features warming up).
    size_pre : float64 array (E,)
        Decision size (fraction of NAV) before the clamp.
    atr : float64 array (E,)
        Raw ATR of the bar (stop and take-profit distances).
    px_scale, inc_sz : float64 arrays (N,)
        10**price precision and the size increment per instrument.
    msc : float64 array (N,)
        10**precision of each instrument's quote currency: commissions and realised P&L are money,
        rounded to it per fill as Nautilus's ``Money`` does.
    taker, maker : float64 arrays (N,)
        Each instrument's fees (its asset class's schedule): take-profits pay the maker fee, every other
        fill the taker fee.
    round_trip : float64 array (N,)
        Each instrument's round-trip fee (:func:`engine.asset_classes.round_trip_fee`): an entry whose
        take-profit distance does not clear it is skipped (``skip_tp_below_fee``).
    may_short : bool array (N,)
        The policy and ``[shorting]`` allow a short entry; a SELL on a flat instrument that may not be
        shorted is skipped (``short_blocked``).
    bucket : int64 array (N,)
        Risk bucket index (0 core, 1 penny, 2 fno).
    name_cap, bucket_cap : float64 arrays (2, 3)
        Per-name and bucket caps (fractions of NAV), row 0 the configured mode, row 1 demo days.
    long_only : bool array (2,)
        Shorts forbidden in the configured mode / on demo days.
    fno_allowed : bool array (2,)
        The F&O bucket may open positions in the configured mode / on demo days.
    eligible : bool array (E,)
        The penny rule (venue, price, ADV) allows new exposure at this event; True outside the penny bucket.
    group_end : bool array (E,)
        True on the last event of its timestamp: the portfolio step runs there (events of one timestamp
        are contiguous and sorted by instrument id, the order the strategy decides them in).
    trade_step : bool array (E,)
        False where the step only marks the book (the replay's final, incomplete timestamp).
    params : float64 array (P_SIZE,)
        See the ``P_*`` indices.
    trades : float64 array (E, T_COLS)
        Output trade records.
    equity : float64 array (E, E_COLS)
        Output: one row per event (the replay's equity.csv row).
    counters : int64 array (C_SIZE,)
        Output counters.

    Returns
    -------
    int
        Number of trade records written.
    """
    n_ev = ts.shape[0]
    n = px_scale.shape[0]
    pos = np.zeros(n, np.int64)
    avg = np.zeros(n)
    fees_pos = np.zeros(n)
    gross_pos = np.zeros(n)
    close_units = np.zeros(n, np.int64)
    close_notional = np.zeros(n)
    open_trade = np.full(n, -1, np.int64)
    has_bracket = np.zeros(n, np.bool_)
    reprotect = np.zeros(n, np.bool_)  # the stop was rejected: re-protect at the next step
    sl = np.zeros(n)
    tp = np.zeros(n)
    best = np.zeros(n)
    tp_filled = np.zeros(n, np.int64)  # units the resting take-profit has filled so far
    entry_atr = np.zeros(n)
    last_px = np.full(n, np.nan)  # the venue's last price per instrument
    quote = np.zeros((n, 2))  # the venue's bid and ask per instrument (market orders fill there)
    level = np.zeros(n, np.int64)  # L1 size of the last price point (units)
    strat_last = np.full(n, np.nan)  # the strategy's last close per instrument
    notional = np.zeros(n)
    target = np.zeros(n)
    cash = np.array([params[P_NAV]])
    n_trades = 0
    ks = new_state()  # the kill switch's day state (layout.K_*)
    kill_ring = np.zeros(max(int(params[P_Q_WINDOW]), 1), np.bool_)  # kill flags of the last window days
    rate_ts = np.zeros(4096, np.int64)  # submit times within the last second (ring)
    rate_head = 0
    rate_len = 0
    g0 = 0
    side0 = np.zeros(n, np.int64)

    for e in range(n_ev):
        i = inst[e]
        t = ts[e]
        # 1. the venue moves the market through the bar's price points (engine.sim's rule); written out
        # here rather than called, as it runs on every bar: a numba call passing the book costs more
        quarter = vol_units[e] // 4
        if quarter < 1:
            quarter = 1
        close_sz = vol_units[e] - 3 * quarter
        if close_sz < 1:
            close_sz = 1
        # in ticks, as Nautilus compares raw prices: in floats a tie (|high - open| = |low - open|)
        # can come out either way
        o_ticks = math.floor(o[e] * px_scale[i] + 0.5)
        high_first = abs(math.floor(h[e] * px_scale[i] + 0.5) - o_ticks) < abs(
            math.floor(low[e] * px_scale[i] + 0.5) - o_ticks
        )
        for pt in range(4):
            if pt == 0:
                p = o[e]
                go = math.isnan(last_px[i]) or p != last_px[i]
                at_market = True
                sz = quarter
            elif pt == 3:
                p = c[e]
                go = p != last_px[i]
                at_market = False
                sz = close_sz
            else:
                use_high = (pt == 1) == high_first
                p = h[e] if use_high else low[e]
                go = p > last_px[i] if use_high else p < last_px[i]
                at_market = False
                sz = quarter
            if not go:
                continue
            last_px[i] = p
            quote[i, 0] = p
            quote[i, 1] = p
            level[i] = sz
            if not has_bracket[i] or pos[i] == 0:
                continue
            long = pos[i] > 0
            hit_stop = p <= sl[i] if long else p >= sl[i]
            hit_tp = p >= tp[i] if long else p <= tp[i]
            if hit_stop or hit_tp:
                exit_bracket(
                    e, i, p, at_market, sz, hit_stop, taker[i], maker[i], quote, has_bracket, sl, tp,
                    tp_filled, px_scale, pos, avg, cash, fees_pos, gross_pos, close_units, close_notional,
                    inc_sz, msc, trades, open_trade, counters
                )  # fmt: skip

        # 2. the strategy's bar handler
        strat_last[i] = c[e]
        if e == 0 or ts[e] != ts[e - 1]:
            g0 = e
        if not group_end[e]:  # the portfolio step runs once per timestamp, after its last bar
            continue
        nav = cash[0]
        for j in range(n):
            if pos[j] != 0:
                # the strategy's mark: signed_qty x (last close as the bar's Price.as_double() - avg_px_open)
                last = nt_double(math.floor(strat_last[j] * px_scale[j] + 0.5), px_scale[j])
                nav += pos[j] / math.floor(1.0 / inc_sz[j] + 0.5) * (last - avg[j])
        # the kill switch's mark (engine.sim.killswitch): day roll, then the daily loss check
        if day[e] > ks[K_CUR_DAY]:
            roll_day(ks, kill_ring, day[e], nav, params, counters)
        ks[K_LAST_NAV] = nav
        pnl = nav / ks[K_SOD_NAV] - 1.0
        killed_now = ks[K_HALTED] == 0.0 and pnl <= -params[P_KILL]
        if killed_now:
            fire(ks, kill_ring, params, counters)
        demo_row = 1 if ks[K_DEMO_TODAY] != 0.0 else 0
        if killed_now:
            for j in range(n):  # cancel everything, flatten everything at the venue's price
                has_bracket[j] = False
                reprotect[j] = False
                if pos[j] != 0:
                    flatten(
                        j, e, EXIT_KILL, quote, level, px_scale, taker[j], pos, avg, cash, fees_pos,
                        gross_pos, close_units, close_notional, inc_sz, msc, trades, open_trade
                    )  # fmt: skip
                    rate_head, rate_len = rate_record(rate_ts, rate_head, rate_len, t)
        gross = 0.0
        net = 0.0
        max_name = 0.0
        b0 = 0.0
        b1 = 0.0
        b2 = 0.0
        any_held = False
        for j in range(n):
            v = 0.0
            if pos[j] != 0:
                v = (
                    pos[j]
                    / math.floor(1.0 / inc_sz[j] + 0.5)
                    * nt_double(math.floor(strat_last[j] * px_scale[j] + 0.5), px_scale[j])
                )
            notional[j] = v
            if v != 0.0:
                any_held = True
            gross += abs(v)
            net += v
            if abs(v) > max_name:
                max_name = abs(v)
            if bucket[j] == 0:
                b0 += abs(v)
            elif bucket[j] == 1:
                b1 += abs(v)
            else:
                b2 += abs(v)
        for j in range(n):  # positions as the handler sees them: orders fill after it
            side0[j] = 0 if pos[j] == 0 else (1 if pos[j] > 0 else -1)
        if ks[K_HALTED] == 0.0 and trade_step[e]:
            commands = (counters[C_TRAILS] + counters[C_ENTRIES] + counters[C_REVERSALS] + counters[C_TRIMS]
                        + counters[C_STOPS_RESUBMITTED] + counters[C_REPROTECT_CLOSES])  # fmt: skip
            for ee in range(g0, e + 1):  # the timestamp's instruments, sorted
                ii = inst[ee]
                if not has_bracket[ii] or pos[ii] == 0:
                    continue  # (calls that pass the book are kept off the per-bar path)
                trail_stop(
                    ii, strat_last[ii], params[P_TRAIL_ATR], has_bracket, pos, avg, best, entry_atr, sl, tp,
                    tp_filled, px_scale, counters
                )  # fmt: skip
            pending = False
            for j in range(n):
                pending = pending or reprotect[j]
            sent = 0
            if pending:
                sent = reprotect_stops(
                    e, n, reprotect, has_bracket, strat_last, sl, tp, quote, level, px_scale, taker, pos, avg,
                    cash, fees_pos, gross_pos, close_units, close_notional, inc_sz, msc, trades, open_trade,
                    counters
                )  # fmt: skip
            for _ in range(sent):
                rate_head, rate_len = rate_record(rate_ts, rate_head, rate_len, t)
            if any_held:
                trims(
                    e, n, nav, notional, target, bucket, name_cap[demo_row], bucket_cap[demo_row],
                    params[P_TRIM_KEEP], params[P_TRIM_TRIGGER], strat_last, inc_sz, msc, pos, quote, level,
                    px_scale, taker, avg, cash, fees_pos, gross_pos, close_units, close_notional, trades,
                    open_trade, counters
                )  # fmt: skip
                # trims submit through the rate budget too
                for j in range(n):
                    if target[j] != 0.0:
                        rate_head, rate_len = rate_record(rate_ts, rate_head, rate_len, t)
            for ee in range(g0, e + 1):
                ii = inst[ee]
                cl = strat_last[ii]
                a = action[ee]
                if a == 1:
                    counters[C_BUY] += 1
                elif a == -1:
                    counters[C_SELL] += 1
                elif a == 0:
                    counters[C_HOLD] += 1
                if a != 1 and a != -1:
                    continue
                wants = a
                if side0[ii] == wants:
                    continue
                if side0[ii] != 0:  # reversal: cancel the bracket, close at market
                    has_bracket[ii] = False
                    if pos[ii] != 0:
                        flatten(
                            ii, e, EXIT_REVERSAL, quote, level, px_scale, taker[ii], pos, avg, cash, fees_pos,
                            gross_pos, close_units, close_notional, inc_sz, msc, trades, open_trade
                        )  # fmt: skip
                    rate_head, rate_len = rate_record(rate_ts, rate_head, rate_len, t)
                    counters[C_REVERSALS] += 1
                    continue
                if wants < 0 and not may_short[ii]:  # strategies.entries: spot is long only by default
                    counters[C_SHORT_BLOCKED] += 1
                    continue
                if has_bracket[ii]:
                    continue
                if not (params[P_TP_ATR] * (atr[ee] / cl) > round_trip[ii]):
                    counters[C_SKIP_TP_BELOW_FEE] += (
                        1  # engine.research.entry.check_entry, no first-touch model
                    )
                    continue
                rate_head, rate_len = rate_prune(rate_ts, rate_head, rate_len, t)
                if rate_len + 1 > params[P_ENTRY_LIMIT]:
                    counters[C_RATE_BLOCKED] += 1
                    counters[C_REJECTED] += 1
                    continue
                snav = nav - ks[K_SIP]
                b = bucket[ii]
                req = size_pre[ee]
                approved, reduced = entry_clamp(
                    req, wants, b, eligible[ee], long_only[demo_row], fno_allowed[demo_row],
                    name_cap[demo_row, b], bucket_cap[demo_row, b], b0 if b == 0 else (b1 if b == 1 else b2),
                    snav, params[P_MIN_SIZE], params[P_ENTRY_KEEP]
                )  # fmt: skip
                if approved < params[P_MIN_SIZE]:
                    counters[C_REJECTED] += 1
                    continue
                if reduced:
                    counters[C_REDUCED] += 1
                units = int(math.floor(approved * snav / cl / inc_sz[ii] + 1e-9))
                stop = cl - wants * params[P_STOP_ATR] * atr[ee]
                take = cl + wants * params[P_TP_ATR] * atr[ee]
                if units < 1:
                    counters[C_TOO_SMALL] += 1
                    continue
                if stop <= 0.0 or take <= 0.0:
                    counters[C_BAD_EXIT_PX] += 1
                    continue
                r = n_trades
                n_trades += 1
                trades[r, T_INST] = ii
                trades[r, T_ENTRY_EVENT] = ee
                trades[r, T_EXIT_EVENT] = -1
                trades[r, T_SIDE] = wants
                trades[r, T_UNITS] = units
                trades[r, T_SIZE_PRE] = req
                trades[r, T_SIZE_POST] = approved
                trades[r, T_REDUCED] = 1.0 if reduced else 0.0
                trades[r, T_EXIT_REASON] = EXIT_OPEN
                trades[r, T_EXIT_PX] = np.nan
                trades[r, T_DEMO] = ks[K_DEMO_TODAY]
                fees_pos[ii] = 0.0
                gross_pos[ii] = 0.0
                close_units[ii] = 0
                close_notional[ii] = 0.0
                market(
                    ii, wants * units, quote, level, px_scale, taker[ii], pos, avg, cash, fees_pos,
                    gross_pos, close_units, close_notional, inc_sz, msc
                )  # fmt: skip
                trades[r, T_ENTRY_PX] = avg[ii]
                open_trade[ii] = r
                sl[ii] = round_px(stop, px_scale[ii])
                tp[ii] = round_px(take, px_scale[ii])
                # a stop already in the market is rejected, and the take-profit with it (contingent):
                # re-protected at the next step
                in_market = quote[ii, 0] <= sl[ii] if wants > 0 else quote[ii, 1] >= sl[ii]
                has_bracket[ii] = not in_market
                reprotect[ii] = in_market
                if in_market:
                    counters[C_BRACKET_REJECTED] += 1
                best[ii] = cl
                entry_atr[ii] = atr[ee]
                tp_filled[ii] = 0
                counters[C_ENTRIES] += 1
                rate_head, rate_len = rate_record(rate_ts, rate_head, rate_len, t)
            # the step sent orders (every kind of order counts into one of these): the venue matches again
            commands -= (counters[C_TRAILS] + counters[C_ENTRIES] + counters[C_REVERSALS] + counters[C_TRIMS]
                         + counters[C_STOPS_RESUBMITTED] + counters[C_REPROTECT_CLOSES])  # fmt: skip
            touched = False
            for j in range(n):
                touched = touched or (has_bracket[j] and pos[j] != 0 and last_px[j] == tp[j])
            if commands != 0 and touched:
                rematch_take_profits(
                    e, n, last_px, level, maker, has_bracket, tp, tp_filled, pos, avg, cash, fees_pos,
                    gross_pos, close_units, close_notional, inc_sz, msc, trades, open_trade, counters,
                    px_scale
                )  # fmt: skip
        equity[e, E_NAV] = nav
        equity[e, E_DAY_PNL] = pnl * 100.0
        equity[e, E_GROSS] = gross / nav * 100.0
        equity[e, E_NET] = net / nav * 100.0
        equity[e, E_MAX_NAME] = max_name / nav * 100.0
        equity[e, E_BUCKET0] = b0 / nav * 100.0
        equity[e, E_BUCKET0 + 1] = b1 / nav * 100.0
        equity[e, E_BUCKET0 + 2] = b2 / nav * 100.0
        equity[e, E_HALTED] = ks[K_HALTED]
        equity[e, E_DEMO] = 2.0 if ks[K_QUARANTINE_TODAY] != 0.0 else ks[K_DEMO_TODAY]
        equity[e, E_KILLED] = 1.0 if killed_now else 0.0
    for j in range(n):  # positions still open at the end: entry price known, no exit
        r = open_trade[j]
        if r >= 0:
            trades[r, T_ENTRY_PX] = avg[j]
    return n_trades


# These kernels call each other across the modules of engine/sim and fold the layout constants in;
# numba's cache only watches a function's own file, so a change to any of them flushes all of them.
from pathlib import Path  # noqa: E402

from engine.features._cache_guard import flush_if_dependencies_changed  # noqa: E402
from engine.sim import caps, exits, fills, killswitch  # noqa: E402

_HERE = Path(__file__).resolve().parent
flush_if_dependencies_changed(
    {**vars(fills), **vars(caps), **vars(exits), **vars(killswitch), **globals()},
    [
        _HERE / name
        for name in ("layout.py", "fills.py", "caps.py", "exits.py", "killswitch.py", "kernels.py")
    ],
    tag="sim_kernels",
)
