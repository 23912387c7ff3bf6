"""Performance metrics of a replay, computed from the per-bar NAV series and the closed trades.

Sharpe follows seed 004 track B: per-bar P&L is aggregated into UTC-day buckets and the Sharpe ratio is
computed on daily returns with the annual factor sqrt(365) (``sharpe_method = "daily_agg"``). The raw
per-step Sharpe is not reported as a headline number.
"""

from __future__ import annotations

import math

import numpy as np

NS_PER_DAY = 86_400 * 1_000_000_000
SHARPE_METHOD = "daily_agg"


def utc_day(ts_ns: int) -> int:
    """UTC day index of an event stamped with its close time: a bar closing at exactly 00:00 belongs to the
    day it covered, so the day is taken over (ts - 1 ns)."""
    return (ts_ns - 1) // NS_PER_DAY


def utc_day_span(day: int) -> tuple[int, int]:
    """``(after, last)``: the event times of UTC day ``day`` in :func:`utc_day`'s sense are exactly
    ``after < ts <= last``. Per-event code keeps them to tell the current day by two comparisons instead of
    dividing a 61-bit timestamp (a multi-digit Python int) on every event."""
    return day * NS_PER_DAY, (day + 1) * NS_PER_DAY


def daily_navs(ts_ns: np.ndarray, nav: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Last NAV of each UTC day (see :func:`utc_day`).

    Returns (day index since epoch, NAV at that day's last bar).
    """
    if len(ts_ns) == 0:
        return np.empty(0, dtype=np.int64), np.empty(0)
    days = utc_day(np.asarray(ts_ns, dtype=np.int64))
    last_of_day = np.flatnonzero(np.append(days[1:] != days[:-1], True))
    return days[last_of_day], np.asarray(nav, dtype=np.float64)[last_of_day]


def daily_returns(ts_ns: np.ndarray, nav: np.ndarray, starting_nav: float) -> np.ndarray:
    """Each UTC day's closing NAV over the previous day's, minus one (the first day over ``starting_nav``)."""
    _, closes = daily_navs(ts_ns, nav)
    if len(closes) == 0:
        return np.empty(0)
    prev = np.concatenate(([starting_nav], closes[:-1]))
    return closes / prev - 1.0


def sharpe_daily(returns: np.ndarray, periods_per_year: float = 365.0) -> float | None:
    """Annualised Sharpe of daily returns (sqrt(``periods_per_year``): 365 for crypto, 252 for equities);
    ``None`` with fewer than 2 days or zero variance."""
    if len(returns) < 2:
        return None
    sd = float(np.std(returns, ddof=1))
    if sd == 0.0 or not math.isfinite(sd):
        return None
    return float(np.mean(returns)) / sd * math.sqrt(periods_per_year)


def max_drawdown(nav: np.ndarray, starting_nav: float) -> float:
    """Largest peak-to-trough fall as a positive fraction of the peak (0.0 for a curve that never falls)."""
    if len(nav) == 0:
        return 0.0
    series = np.concatenate(([starting_nav], np.asarray(nav, dtype=np.float64)))
    peaks = np.maximum.accumulate(series)
    return float(np.max((peaks - series) / peaks))


def drawdown_series(nav: np.ndarray, starting_nav: float) -> np.ndarray:
    series = np.asarray(nav, dtype=np.float64)
    peaks = np.maximum.accumulate(np.concatenate(([starting_nav], series)))[1:]
    return (series - peaks) / peaks


def hit_rate(realized_pnls: list[float]) -> float | None:
    """Fraction of closed trades with positive realised P&L; ``None`` when nothing closed."""
    if not realized_pnls:
        return None
    return sum(1 for p in realized_pnls if p > 0.0) / len(realized_pnls)
