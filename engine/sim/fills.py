"""Fills (numba): Nautilus's price and money rounding, fills into the book, market orders at the venue's
bid/ask, and resting brackets filled at a bar's price point (the intrabar rule is in :mod:`engine.sim`;
the kernel plays the price points inline, as it runs on every bar).

The book is per-instrument arrays owned by :func:`engine.sim.kernels.simulate`: ``pos`` (units of the
size increment), ``avg`` (average open price), ``cash`` (one element), and per open position its
commissions (``fees_pos``), realised P&L net of them as Nautilus's position books it (``gross_pos``),
and closed units and notional (average exit). Prices, quantities and money are the venue's doubles
(``nt_double``), as the replay's strategy and Nautilus's position read them.
"""

from __future__ import annotations

import math

from numba import njit

from engine.sim.layout import (
    C_TP_PARTIAL,
    EXIT_STOP,
    EXIT_TAKE_PROFIT,
    T_EXIT_AT_STEP,
    T_EXIT_EVENT,
    T_EXIT_PX,
    T_EXIT_REASON,
    T_PNL,
)


@njit(cache=True)
def nt_double(ticks, scale):
    """Nautilus's ``Price`` / ``Quantity.as_double()`` of ``ticks`` units of ``1 / scale``: its fixed-point
    raw (the value x 10^16, an integer) as a double, over 10^16. One ulp off the nearest double for
    some values (25864.13 -> 25864.129999999997); fills and P&L are computed from these doubles."""
    return ticks * (1e16 / scale) / 1e16


@njit(cache=True)
def round_px(x, scale):
    # Nautilus Price(x, precision): nearest tick, halves away from zero (prices are positive here);
    # ticks / scale like the bar prices, so equal prices compare equal (fills convert to nt_double)
    return math.floor(x * scale + 0.5) / scale


@njit(cache=True)
def tick(px, steps, scale):
    return (math.floor(px * scale + 0.5) + steps) / scale


@njit(cache=True)
def money(x, scale):
    # Nautilus Money(x, currency): nearest unit of the currency's precision, halves away from zero, as
    # Money.as_double() gives it back (the position adds the next fill's P&L to that double)
    r = nt_double(math.floor(abs(x) * scale + 0.5), scale)
    return r if x >= 0.0 else -r


@njit(cache=True)
def fee_money(notional, fee, scale):
    """Nautilus's ``MakerTakerFeeModel``: ``Money(Money(qty * px).as_decimal() * Decimal(str(fee)))``.
    The notional is rounded to the currency's unit first and the product is exact, then rounded again:
    a notional of 274.99674 at 10 bps pays 0.28 (275.00 x 0.001 = 0.275, a tie), not 0.27."""
    units = math.floor(notional * scale + 0.5)
    d = 1.0  # fee = f / d exactly, as the decimal the instrument holds (e.g. 0.0008 = 8 / 10^4)
    while d < 1e15 and abs(fee * d - math.floor(fee * d + 0.5)) > 1e-9 * fee * d:
        d *= 10.0
    # an integer over a power of ten: one correctly rounded division, the double nearest the decimal
    return money(units * math.floor(fee * d + 0.5) / (scale * d), scale)


@njit(cache=True)
def fill(j, units, px, fee, pos, avg, cash, fees_pos, gross_pos, close_units, close_notional, inc_sz, msc,
         px_scale):  # fmt: skip
    """Apply a fill of signed ``units`` to instrument j at ``px``; return True when the position closed."""
    px = nt_double(math.floor(px * px_scale[j] + 0.5), px_scale[j])  # the fill's last_px.as_double()
    # Nautilus's Position arithmetic on the venue's doubles: the fill's quantity as Quantity.as_double(),
    # the position's as round(signed_qty, size precision), i.e. the double nearest units / 10^precision
    q_scale = math.floor(1.0 / inc_sz[j] + 0.5)
    qty = nt_double(abs(units), q_scale)
    commission = fee_money(qty * px, fee, msc[j])
    # the account's balance is exact money; the strategy reads it as Money.as_double()
    cash[0] = money(cash[0] - commission, msc[j])
    fees_pos[j] += commission
    p = pos[j]
    if p == 0 or (p > 0) == (units > 0):  # open or add
        held = nt_double(abs(p), q_scale)
        avg[j] = (avg[j] * held + px * qty) / (held + qty) if p != 0 else px
        pos[j] = p + units
        # the position's realised P&L: Money(previous + (-commission + fill P&L)), one rounding per fill
        gross_pos[j] = money(gross_pos[j] - commission, msc[j])
        return False
    closing = min(abs(units), abs(p))
    points = px - avg[j] if p > 0 else avg[j] - px
    raw = min(qty, abs(p) / q_scale) * points
    pnl = money(raw, msc[j])  # the account's balance moves by the rounded fill P&L
    cash[0] = money(cash[0] + pnl, msc[j])
    gross_pos[j] = money(gross_pos[j] + (-commission + raw), msc[j])
    close_units[j] += closing
    close_notional[j] += closing * inc_sz[j] * px
    pos[j] = p + units
    return pos[j] == 0


@njit(cache=True)
def fill_l1(j, units, px, l1, fee, pos, avg, cash, fees_pos, gross_pos, close_units, close_notional,
            inc_sz, msc, px_scale):  # fmt: skip
    """Fill signed ``units`` at ``px`` up to the price point's L1 size ``l1``; the rest one tick worse."""
    sgn = 1 if units > 0 else -1
    part = min(abs(units), l1)
    fill(
        j, sgn * part, px, fee, pos, avg, cash, fees_pos, gross_pos, close_units, close_notional, inc_sz,
        msc, px_scale
    )  # fmt: skip
    rest = abs(units) - part
    if rest > 0:
        fill(
            j, sgn * rest, tick(px, sgn, px_scale[j]), fee, pos, avg, cash, fees_pos, gross_pos,
            close_units, close_notional, inc_sz, msc, px_scale
        )  # fmt: skip


@njit(cache=True)
def market(
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
    # a market order fills at the venue's bid/ask, the L1 level of the last price point
    px = quote[j, 1] if units > 0 else quote[j, 0]
    fill_l1(
        j, units, px, level[j], fee, pos, avg, cash, fees_pos, gross_pos, close_units, close_notional, inc_sz,
        msc, px_scale
    )  # fmt: skip


@njit(cache=True)
def close_trade(j, e, reason, trades, open_trade, close_notional, close_units, gross_pos, fees_pos, inc_sz):
    r = open_trade[j]
    if r < 0:
        return
    trades[r, T_EXIT_EVENT] = e
    trades[r, T_EXIT_PX] = close_notional[j] / (close_units[j] * inc_sz[j])
    trades[r, T_PNL] = gross_pos[j]  # realised P&L net of commissions, as the position books it
    trades[r, T_EXIT_REASON] = reason
    open_trade[j] = -1


@njit(cache=True)
def flatten(j, e, reason, quote, level, px_scale, fee, pos, avg, cash, fees_pos, gross_pos, close_units,
            close_notional, inc_sz, msc, trades, open_trade):  # fmt: skip
    """Close instrument ``j``'s position at market and its trade record with ``reason`` at event ``e``."""
    market(
        j, -pos[j], quote, level, px_scale, fee, pos, avg, cash, fees_pos, gross_pos, close_units,
        close_notional, inc_sz, msc
    )  # fmt: skip
    close_trade(j, e, reason, trades, open_trade, close_notional, close_units, gross_pos, fees_pos, inc_sz)


@njit(cache=True)
def exit_bracket(
    e,
    i,
    p,
    at_market,
    sz,
    hit_stop,
    taker,
    maker,
    quote,
    has_bracket,
    sl,
    tp,
    tp_filled,
    px_scale,
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
    """Fill instrument ``i``'s resting bracket at price point ``p`` (L1 size ``sz``) of bar ``e``: the stop
    when ``hit_stop`` (at ``p`` on the open's gap, ``at_market``, else at its trigger), else the
    take-profit. ``taker`` / ``maker`` are the instrument's fees. The caller checks that the point
    reaches the stop or the take-profit (the kernel's hot loop makes no call otherwise)."""
    units = -pos[i]
    if hit_stop:
        fill_l1(
            i, units, p if at_market else sl[i], sz, taker, pos, avg, cash, fees_pos, gross_pos,
            close_units, close_notional, inc_sz, msc, px_scale
        )  # fmt: skip
        reason = EXIT_STOP
    else:
        # a resting limit fills at its price: the point's L1 size first; the rest too when the market
        # moved through the limit, but not when it only touched it (the rest stays open). Through, the
        # rest is a fill of its own (Nautilus's L1 book puts it one tick worse, which the maker loop
        # moves back to the limit), with its own commission and P&L rounding
        sgn = 1 if units > 0 else -1
        part = min(abs(units), sz)
        fill(i, sgn * part, tp[i], maker, pos, avg, cash, fees_pos, gross_pos, close_units,
             close_notional, inc_sz, msc, px_scale)  # fmt: skip
        if p != tp[i] and pos[i] != 0:
            part = abs(units) - part
            fill(i, sgn * part, tp[i], maker, pos, avg, cash, fees_pos, gross_pos, close_units,
                 close_notional, inc_sz, msc, px_scale)  # fmt: skip
        if pos[i] != 0:  # the rest stays open
            counters[C_TP_PARTIAL] += 1
            tp_filled[i] += part
            return
        if p != tp[i]:  # filled through the price: that side of the quote stays at the limit
            quote[i, 1 if sgn > 0 else 0] = tp[i]
        reason = EXIT_TAKE_PROFIT
    has_bracket[i] = False
    close_trade(i, e, reason, trades, open_trade, close_notional, close_units, gross_pos, fees_pos, inc_sz)


@njit(cache=True)
def rematch_take_profits(e, n, last_px, level, maker, has_bracket, tp, tp_filled, pos, avg, cash, fees_pos,
                         gross_pos, close_units, close_notional, inc_sz, msc, trades, open_trade,
                         counters, px_scale):  # fmt: skip
    """The venue matches its resting orders again after it processed the portfolio step's commands
    (``BacktestEngine`` iterates every matching engine after draining them). A take-profit the last
    price only touched, so still partly open, fills the L1 size of that price point once more."""
    for j in range(n):
        if not has_bracket[j] or pos[j] == 0 or last_px[j] != tp[j]:
            continue
        units = -pos[j]
        sgn = 1 if units > 0 else -1
        part = min(abs(units), level[j])
        fill(j, sgn * part, tp[j], maker[j], pos, avg, cash, fees_pos, gross_pos, close_units,
             close_notional, inc_sz, msc, px_scale)  # fmt: skip
        if pos[j] != 0:
            counters[C_TP_PARTIAL] += 1
            tp_filled[j] += part
            continue
        has_bracket[j] = False
        # matched after the step's commands: at the step's time (bar + grace when it ran on the timer)
        if open_trade[j] >= 0:
            trades[open_trade[j], T_EXIT_AT_STEP] = 1.0
        close_trade(j, e, EXIT_TAKE_PROFIT, trades, open_trade, close_notional, close_units, gross_pos,
                    fees_pos, inc_sz)  # fmt: skip
