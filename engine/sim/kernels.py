"""The research simulator's execution kernel (numba): decisions + bars -> fills, trades, equity.

One pass over a flat bar event stream (any number of instruments), sorted by time and then instrument
id, in the order the Nautilus ``BacktestEngine`` and the strategy handle it (see :mod:`engine.sim`):

1. per bar: the venue moves the instrument's market through the bar's prices and fills resting brackets;
   the strategy records the close;
2. after a timestamp's last bar, the portfolio step: mark NAV -> day roll, SIP, kill switch -> trail the
   stops -> drift trims -> decisions (entry, or flatten on a reversal);
3. the step's orders fill at the venue's bid/ask (it drains its queue after the handler), market orders
   with the L1 size of the last price point, the rest one tick worse.

Quantities are integer multiples of the size increment (``units``) so a position never drifts by float
rounding. No I/O, no allocation in the loop beyond the preallocated outputs.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

# params vector layout (float64)
P_NAV = 0
P_TAKER = 1
P_MAKER = 2
P_STOP_ATR = 3
P_TP_ATR = 4
P_TRAIL_ATR = 5
P_KILL = 6  # daily loss fraction, e.g. 0.025
P_SIP = 7  # fraction of a profitable day's P&L set aside
P_TRIM_KEEP = 8  # 1 - trim buffer
P_MIN_SIZE = 9
P_ALLOW_SHORT = 10
P_ENTRY_LIMIT = 11  # entry submits per second (order-rate budget minus the flatten reserve)
P_Q_KILLS = 12  # kill days within the window that start a quarantine
P_Q_WINDOW = 13  # trading days
P_Q_DAYS = 14  # demo days of a quarantine
P_ENTRY_KEEP = 15  # 1 - entry buffer: entries are approved up to this share of the caps
P_TRIM_TRIGGER = 16  # (1 + trim hysteresis) * (1 + 1e-9): trims fire above cap x this
P_ROUND_TRIP_FEE = 17  # 2 x taker fee: an entry whose take-profit does not clear it is skipped
P_SIZE = 18

# trade record columns (float64)
T_INST = 0
T_ENTRY_EVENT = 1
T_EXIT_EVENT = 2  # -1 while open
T_SIDE = 3  # +1 long, -1 short
T_UNITS = 4  # opening quantity in size increments
T_ENTRY_PX = 5  # average open price
T_EXIT_PX = 6  # average close price (nan while open)
T_PNL = 7  # realised P&L net of every commission of the position (Nautilus convention)
T_SIZE_PRE = 8
T_SIZE_POST = 9
T_REDUCED = 10  # 1 when the clamp reduced the entry
T_EXIT_REASON = 11  # see EXIT_* below
T_DEMO = 12  # 1 when entered on a demo (post-kill / quarantine) day
T_COLS = 13

EXIT_OPEN = 0
EXIT_STOP = 1
EXIT_TAKE_PROFIT = 2
EXIT_REVERSAL = 3
EXIT_KILL = 4
EXIT_TRIM = 5  # a trim that took the position to zero
EXIT_STOP_THROUGH = 6  # the protective stop was rejected and its level was through at the next step

# equity columns (float64), one row per event
E_NAV = 0
E_DAY_PNL = 1
E_GROSS = 2
E_NET = 3
E_MAX_NAME = 4
E_BUCKET0 = 5  # core, penny, fno
E_HALTED = 8
E_DEMO = 9  # 1 post-kill demo day, 2 quarantine day
E_KILLED = 10  # 1 on the event where the kill switch fired
E_COLS = 11

# counters
C_ENTRIES = 0
C_TRIMS = 1
C_TRAILS = 2
C_KILLS = 3
C_REDUCED = 4
C_REJECTED = 5
C_SHORT_BLOCKED = 6
C_TOO_SMALL = 7
C_BAD_EXIT_PX = 8
C_REVERSALS = 9
C_RATE_BLOCKED = 10
C_SIP_DAYS = 11
C_BUY = 12
C_SELL = 13
C_HOLD = 14
C_TP_PARTIAL = 15
C_BRACKET_REJECTED = 16
C_STOPS_RESUBMITTED = 17
C_REPROTECT_CLOSES = 18
C_SKIP_TP_BELOW_FEE = 19
C_SIZE = 20


@njit(cache=True)
def _round_px(x, scale):
    # Nautilus Price(x, precision): nearest tick, halves away from zero (prices are positive here);
    # ticks / scale like the bar prices, so equal prices compare equal
    return math.floor(x * scale + 0.5) / scale


@njit(cache=True)
def _tick(px, steps, scale):
    return (math.floor(px * scale + 0.5) + steps) / scale


@njit(cache=True)
def _money(x, scale):
    # Nautilus Money(x, currency): nearest unit of the currency's precision, halves away from zero
    r = math.floor(abs(x) * scale + 0.5) / scale
    return r if x >= 0.0 else -r


@njit(cache=True)
def _fill(j, units, px, fee, pos, avg, cash, fees_pos, gross_pos, close_units, close_notional, inc_sz, msc):
    """Apply a fill of signed ``units`` to instrument j at ``px``; return True when the position closed."""
    qty = units * inc_sz[j]
    commission = _money(abs(qty) * px * fee, msc[j])
    cash[0] -= commission
    fees_pos[j] += commission
    p = pos[j]
    if p == 0 or (p > 0) == (units > 0):  # open or add
        new = p + units
        avg[j] = (avg[j] * p + px * units) / new if p != 0 else px
        pos[j] = new
        return False
    closing = min(abs(units), abs(p))
    sign = 1.0 if p > 0 else -1.0
    pnl = _money(closing * inc_sz[j] * (px - avg[j]) * sign, msc[j])
    cash[0] += pnl
    gross_pos[j] += pnl
    close_units[j] += closing
    close_notional[j] += closing * inc_sz[j] * px
    pos[j] = p + units
    return pos[j] == 0


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
    taker = params[P_TAKER]
    maker = params[P_MAKER]
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
    cur_day = -1
    sod_nav = 0.0
    last_nav = 0.0
    sip = 0.0
    halted = False
    demo_pending = False
    demo_today = False
    quarantine_today = False
    q_remaining = 0
    n_days = 0
    window = int(params[P_Q_WINDOW])
    kill_ring = np.zeros(max(window, 1), np.bool_)  # kill flag of the last `window` trading days
    rate_ts = np.zeros(4096, np.int64)  # submit times within the last second (ring)
    rate_head = 0
    rate_len = 0
    demo_row = 0
    g0 = 0
    side0 = np.zeros(n, np.int64)

    for e in range(n_ev):
        i = inst[e]
        t = ts[e]
        # ---------------------------------------------------------------- 1. the venue moves the market
        quarter = vol_units[e] // 4
        if quarter < 1:
            quarter = 1
        close_sz = vol_units[e] - 3 * quarter
        if close_sz < 1:
            close_sz = 1
        high_first = abs(h[e] - o[e]) < abs(low[e] - o[e])
        for k in range(4):
            if k == 0:
                p = o[e]
                go = math.isnan(last_px[i]) or p != last_px[i]
                at_market = True
                sz = quarter
            elif k == 3:
                p = c[e]
                go = p != last_px[i]
                at_market = False
                sz = close_sz
            else:
                use_high = (k == 1) == high_first
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
            q = pos[i]
            long = q > 0
            hit_stop = p <= sl[i] if long else p >= sl[i]
            hit_tp = p >= tp[i] if long else p <= tp[i]
            if not (hit_stop or hit_tp):
                continue
            units = -q
            if hit_stop:
                fp = p if at_market else sl[i]
                part = min(abs(units), sz)
                sgn = 1 if units > 0 else -1
                _fill(
                    i, sgn * part, fp, taker, pos, avg, cash, fees_pos, gross_pos, close_units,
                    close_notional, inc_sz, msc
                )  # fmt: skip
                rest = abs(units) - part
                if rest > 0:
                    _fill(
                        i, sgn * rest, _tick(fp, sgn, px_scale[i]), taker, pos, avg, cash, fees_pos,
                        gross_pos, close_units, close_notional, inc_sz, msc
                    )  # fmt: skip
                reason = EXIT_STOP
            else:
                # a resting limit fills at its price: the point's L1 size first; the rest too when the
                # market moved through the limit, but not when it only touched it (the rest stays open)
                sgn = 1 if units > 0 else -1
                part = min(abs(units), sz)
                if p != tp[i]:
                    part = abs(units)
                _fill(i, sgn * part, tp[i], maker, pos, avg, cash, fees_pos, gross_pos, close_units,
                      close_notional, inc_sz, msc)  # fmt: skip
                if pos[i] != 0:  # the rest stays open
                    counters[C_TP_PARTIAL] += 1
                    tp_filled[i] += part
                    continue
                if p != tp[i]:  # filled through the price: that side of the quote stays at the limit
                    quote[i, 1 if sgn > 0 else 0] = tp[i]
                reason = EXIT_TAKE_PROFIT
            has_bracket[i] = False
            r = open_trade[i]
            trades[r, T_EXIT_EVENT] = e
            trades[r, T_EXIT_PX] = close_notional[i] / (close_units[i] * inc_sz[i])
            trades[r, T_PNL] = gross_pos[i] - fees_pos[i]
            trades[r, T_EXIT_REASON] = reason
            open_trade[i] = -1

        # ---------------------------------------------------------------- 2. the strategy's bar handler
        strat_last[i] = c[e]
        if e == 0 or ts[e] != ts[e - 1]:
            g0 = e
        if not group_end[e]:  # the portfolio step runs once per timestamp, after its last bar
            continue
        nav = cash[0]
        for j in range(n):
            if pos[j] != 0:
                nav += pos[j] * inc_sz[j] * (strat_last[j] - avg[j])
        # mark: day roll, SIP, demo calendar, kill switch
        if day[e] > cur_day:
            if cur_day >= 0:
                closed = last_nav - sod_nav
                if closed > 0.0 and params[P_SIP] > 0.0:
                    sip += closed * params[P_SIP]
                    counters[C_SIP_DAYS] += 1
                sod_nav = last_nav
            else:
                sod_nav = nav
            cur_day = day[e]
            n_days += 1
            kill_ring[n_days % kill_ring.shape[0]] = False
            post_kill = demo_pending
            demo_pending = False
            quarantine_today = q_remaining > 0
            demo_today = post_kill or quarantine_today
            if q_remaining > 0:
                q_remaining -= 1
            halted = False
            demo_row = 1 if demo_today else 0
        last_nav = nav
        pnl = nav / sod_nav - 1.0
        killed_now = not halted and pnl <= -params[P_KILL]
        if killed_now:
            halted = True
            demo_pending = True
            counters[C_KILLS] += 1
            kill_ring[n_days % kill_ring.shape[0]] = True
            if params[P_Q_DAYS] > 0 and q_remaining == 0:
                kills = 0
                for d in range(kill_ring.shape[0]):
                    if kill_ring[d] and d <= n_days:
                        kills += 1
                if kills >= params[P_Q_KILLS]:
                    q_remaining = int(params[P_Q_DAYS])
            for j in range(n):  # cancel everything, flatten everything at the venue's price
                has_bracket[j] = False
                reprotect[j] = False
                if pos[j] != 0:
                    _market(
                        j, -pos[j], quote, level, px_scale, taker, pos, avg, cash, fees_pos, gross_pos,
                        close_units, close_notional, inc_sz, msc
                    )  # fmt: skip
                    _close_trade(
                        j, e, EXIT_KILL, trades, open_trade, close_notional, close_units, gross_pos,
                        fees_pos, inc_sz
                    )  # fmt: skip
                    rate_head, rate_len = _rate_record(rate_ts, rate_head, rate_len, t)
        gross = 0.0
        net = 0.0
        max_name = 0.0
        b0 = 0.0
        b1 = 0.0
        b2 = 0.0
        any_held = False
        for j in range(n):
            v = pos[j] * inc_sz[j] * strat_last[j] if pos[j] != 0 else 0.0
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
        if not halted and trade_step[e]:
            for ee in range(g0, e + 1):  # the timestamp's instruments, sorted
                ii = inst[ee]
                cl = strat_last[ii]
                # trail the stop behind the best close once the trade is trailing_atr x ATR in profit
                if has_bracket[ii] and pos[ii] != 0:
                    sgn = 1.0 if pos[ii] > 0 else -1.0
                    best[ii] = max(best[ii], cl) if sgn > 0 else min(best[ii], cl)
                    dist = params[P_TRAIL_ATR] * entry_atr[ii]
                    if sgn * (best[ii] - avg[ii]) >= dist:
                        cand = best[ii] - sgn * dist
                        if sgn * (cand - sl[ii]) > 0.0:
                            new = _round_px(cand, px_scale[ii])
                            if new != sl[ii]:
                                sl[ii] = new
                                counters[C_TRAILS] += 1
                                # the venue syncs the stop's one-updates-other partner on a modify: a
                                # take-profit that already filled the position's remaining size is cancelled
                                if tp_filled[ii] > 0 and tp_filled[ii] >= abs(pos[ii]):
                                    tp[ii] = np.nan
            # strategies.protection: a rejected stop goes back at its level, or the position closes
            for j in range(n):
                if not reprotect[j]:
                    continue
                reprotect[j] = False
                if pos[j] == 0:
                    continue
                sgn = 1.0 if pos[j] > 0 else -1.0
                if sgn * (strat_last[j] - sl[j]) <= 0.0:
                    _market(
                        j, -pos[j], quote, level, px_scale, taker, pos, avg, cash, fees_pos, gross_pos,
                        close_units, close_notional, inc_sz, msc
                    )  # fmt: skip
                    _close_trade(
                        j, e, EXIT_STOP_THROUGH, trades, open_trade, close_notional, close_units,
                        gross_pos, fees_pos, inc_sz
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
                rate_head, rate_len = _rate_record(rate_ts, rate_head, rate_len, t)
            if any_held:
                _trims(
                    e, n, nav, notional, target, bucket, name_cap[demo_row], bucket_cap[demo_row],
                    params[P_TRIM_KEEP], params[P_TRIM_TRIGGER], strat_last, inc_sz, msc, pos, quote, level,
                    px_scale, taker, avg, cash, fees_pos, gross_pos, close_units, close_notional, trades,
                    open_trade, counters
                )  # fmt: skip
                # trims submit through the rate budget too
                for j in range(n):
                    if target[j] != 0.0:
                        rate_head, rate_len = _rate_record(rate_ts, rate_head, rate_len, t)
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
                if a == 1 or a == -1:
                    wants = a
                    if side0[ii] == wants:
                        pass
                    elif side0[ii] != 0:  # reversal: cancel the bracket, close at market
                        has_bracket[ii] = False
                        if pos[ii] != 0:
                            _market(
                                ii, -pos[ii], quote, level, px_scale, taker, pos, avg, cash, fees_pos,
                                gross_pos, close_units, close_notional, inc_sz, msc
                            )  # fmt: skip
                            _close_trade(
                                ii, e, EXIT_REVERSAL, trades, open_trade, close_notional, close_units,
                                gross_pos, fees_pos, inc_sz
                            )  # fmt: skip
                        rate_head, rate_len = _rate_record(rate_ts, rate_head, rate_len, t)
                        counters[C_REVERSALS] += 1
                    elif wants < 0 and params[P_ALLOW_SHORT] == 0.0:
                        counters[C_SHORT_BLOCKED] += 1
                    elif not has_bracket[ii] and not (
                        params[P_TP_ATR] * (atr[ee] / cl) > params[P_ROUND_TRIP_FEE]
                    ):  # engine.research.entry.check_entry without a first-touch model
                        counters[C_SKIP_TP_BELOW_FEE] += 1
                    elif not has_bracket[ii]:
                        rate_head, rate_len = _rate_prune(rate_ts, rate_head, rate_len, t)
                        snav = nav - sip
                        if rate_len + 1 > params[P_ENTRY_LIMIT]:
                            counters[C_RATE_BLOCKED] += 1
                            counters[C_REJECTED] += 1
                        else:
                            b = bucket[ii]
                            req = size_pre[ee]
                            approved = req
                            reduced = False
                            if req < params[P_MIN_SIZE]:
                                approved = 0.0
                            if long_only[demo_row] and wants < 0:
                                approved = 0.0
                                reduced = True
                            if not eligible[ee] or (b == 2 and not fno_allowed[demo_row]):
                                approved = 0.0  # penny rule / F&O disabled: no new exposure
                                reduced = True
                            ekeep = params[P_ENTRY_KEEP]
                            ncap = name_cap[demo_row, b]
                            bcap = bucket_cap[demo_row, b]
                            if ekeep != 1.0:  # engine.risk.clamp.assess: the entry buffer
                                ncap = ncap * ekeep
                                bcap = bcap * ekeep
                            if ncap < approved:
                                approved = ncap
                                reduced = True
                            bg = b0 if b == 0 else (b1 if b == 1 else b2)
                            room = bcap - bg / snav
                            if room < 0.0:
                                room = 0.0
                            if room < approved:
                                approved = room
                                reduced = True
                            if approved < params[P_MIN_SIZE]:
                                counters[C_REJECTED] += 1
                            else:
                                if reduced:
                                    counters[C_REDUCED] += 1
                                units = int(math.floor(approved * snav / cl / inc_sz[ii] + 1e-9))
                                stop = cl - wants * params[P_STOP_ATR] * atr[ee]
                                take = cl + wants * params[P_TP_ATR] * atr[ee]
                                if units < 1:
                                    counters[C_TOO_SMALL] += 1
                                elif stop <= 0.0 or take <= 0.0:
                                    counters[C_BAD_EXIT_PX] += 1
                                else:
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
                                    trades[r, T_DEMO] = 1.0 if demo_today else 0.0
                                    fees_pos[ii] = 0.0
                                    gross_pos[ii] = 0.0
                                    close_units[ii] = 0
                                    close_notional[ii] = 0.0
                                    _market(
                                        ii, wants * units, quote, level, px_scale, taker, pos, avg, cash,
                                        fees_pos, gross_pos, close_units, close_notional, inc_sz, msc
                                    )  # fmt: skip
                                    trades[r, T_ENTRY_PX] = avg[ii]
                                    open_trade[ii] = r
                                    sl[ii] = _round_px(stop, px_scale[ii])
                                    tp[ii] = _round_px(take, px_scale[ii])
                                    # a stop already in the market is rejected, and the take-profit with it
                                    # (contingent): re-protected at the next step
                                    in_market = (
                                        quote[ii, 0] <= sl[ii] if wants > 0 else quote[ii, 1] >= sl[ii]
                                    )
                                    has_bracket[ii] = not in_market
                                    reprotect[ii] = in_market
                                    if in_market:
                                        counters[C_BRACKET_REJECTED] += 1
                                    best[ii] = cl
                                    entry_atr[ii] = atr[ee]
                                    tp_filled[ii] = 0
                                    counters[C_ENTRIES] += 1
                                    rate_head, rate_len = _rate_record(rate_ts, rate_head, rate_len, t)
        equity[e, E_NAV] = nav
        equity[e, E_DAY_PNL] = pnl * 100.0
        equity[e, E_GROSS] = gross / nav * 100.0
        equity[e, E_NET] = net / nav * 100.0
        equity[e, E_MAX_NAME] = max_name / nav * 100.0
        equity[e, E_BUCKET0] = b0 / nav * 100.0
        equity[e, E_BUCKET0 + 1] = b1 / nav * 100.0
        equity[e, E_BUCKET0 + 2] = b2 / nav * 100.0
        equity[e, E_HALTED] = 1.0 if halted else 0.0
        equity[e, E_DEMO] = 2.0 if quarantine_today else (1.0 if demo_today else 0.0)
        equity[e, E_KILLED] = 1.0 if killed_now else 0.0
    for j in range(n):  # positions still open at the end: entry price known, no exit
        r = open_trade[j]
        if r >= 0:
            trades[r, T_ENTRY_PX] = avg[j]
    return n_trades


@njit(cache=True)
def _market(
    j,
    units,
    quote,
    level,
    px_scale,
    fee,
    pos,
    avg,
    cash,
    fees_pos,
    gross_pos,
    close_units,
    close_notional,
    inc_sz,
    msc,
):
    # a market order takes the L1 level of the last price point; the rest slips one tick
    px = quote[j, 1] if units > 0 else quote[j, 0]
    sgn = 1 if units > 0 else -1
    part = min(abs(units), level[j])
    _fill(
        j, sgn * part, px, fee, pos, avg, cash, fees_pos, gross_pos, close_units, close_notional, inc_sz,
        msc
    )  # fmt: skip
    rest = abs(units) - part
    if rest > 0:
        _fill(
            j, sgn * rest, _tick(px, sgn, px_scale[j]), fee, pos, avg, cash, fees_pos, gross_pos,
            close_units, close_notional, inc_sz, msc
        )  # fmt: skip


@njit(cache=True)
def _close_trade(j, e, reason, trades, open_trade, close_notional, close_units, gross_pos, fees_pos, inc_sz):
    r = open_trade[j]
    if r < 0:
        return
    trades[r, T_EXIT_EVENT] = e
    trades[r, T_EXIT_PX] = close_notional[j] / (close_units[j] * inc_sz[j])
    trades[r, T_PNL] = gross_pos[j] - fees_pos[j]
    trades[r, T_EXIT_REASON] = reason
    open_trade[j] = -1


@njit(cache=True)
def _trims(
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
    # engine.risk.clamp.drift_trims, then reduce-only market orders (target[j] != 0 marks a trim sent)
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
        _market(
            j, sgn * units, quote, level, px_scale, taker, pos, avg, cash, fees_pos, gross_pos,
            close_units, close_notional, inc_sz, msc
        )  # fmt: skip
        if pos[j] == 0:
            _close_trade(
                j, e, EXIT_TRIM, trades, open_trade, close_notional, close_units, gross_pos, fees_pos,
                inc_sz
            )  # fmt: skip


@njit(cache=True)
def _rate_prune(rate_ts, head, length, t):
    # keep submits in (t - 1 s, t]; the ring is in time order starting at head
    size = rate_ts.shape[0]
    while length > 0 and rate_ts[head] <= t - 1_000_000_000:
        head = (head + 1) % size
        length -= 1
    return head, length


@njit(cache=True)
def _rate_record(rate_ts, head, length, t):
    size = rate_ts.shape[0]
    head, length = _rate_prune(rate_ts, head, length, t)
    if length < size:
        rate_ts[(head + length) % size] = t
        length += 1
    return head, length
