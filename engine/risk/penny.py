"""Penny-bucket eligibility (seed 001: "Penny: 2% (TSXV, min ADV 200k CAD, price >= 0.25 CAD)").

``DailyValueTracker`` keeps each instrument's average daily traded value (ADV) incrementally from its bars;
``penny_reason`` says why an order may not add penny exposure ("" when it may).
"""

from __future__ import annotations

import math
from collections import deque
from typing import TYPE_CHECKING

from engine.config import PennyRule
from engine.metrics import NS_PER_DAY, utc_day, utc_day_span  # noqa: F401  (utc_day: re-exported for callers)

if TYPE_CHECKING:
    from engine.risk.clamp import OrderRequest

_INF = math.inf


class DailyValueTracker:
    """Average daily traded value (price x volume) over the last completed UTC days, updated per bar.

    A bar is stamped at its close, so a bar closing exactly at midnight belongs to the day that ends
    there (:func:`engine.metrics.utc_day`). Only days with at least one bar count (weekends and
    holidays are not zero-value days). A bar of a day earlier than the current one arrives too late to
    change a completed day and is ignored, as is a bar whose price or volume is not finite and >= 0.

    Parameters
    ----------
    adv_days : int
        How many completed days the average covers (``PennyRule.adv_days``).
    """

    __slots__ = ("_current_day", "_current_value", "_days", "_adv", "_day_after", "_day_last")

    def __init__(self, adv_days: int) -> None:
        if adv_days < 1:
            raise ValueError(f"adv_days must be >= 1, got {adv_days}")
        self._days: deque[float] = deque(maxlen=adv_days)
        self._current_day: int | None = None
        self._current_value = 0.0
        self._adv = math.nan
        self._day_after, self._day_last = 0, -1  # utc_day_span of the current day (none yet)

    def update(self, ts_ns: int, price: float, volume: float) -> None:
        """Add one bar's traded value to its day, closing the previous day when a new one starts.

        Parameters
        ----------
        ts_ns : int
            Bar close time, UNIX nanoseconds (engine clock).
        price : float
            Bar price (close or VWAP) in the quote currency.
        volume : float
            Bar volume in units of the instrument.
        """
        value = price * volume
        if not 0.0 <= value < _INF:  # finite and >= 0 (NaN compares false)
            return
        if self._day_after < ts_ns <= self._day_last:  # the current day (most bars)
            self._current_value += value
            return
        day = (ts_ns - 1) // NS_PER_DAY  # utc_day, inlined
        current = self._current_day
        if day == current:
            self._current_value += value
        elif current is None or day > current:
            if current is not None:
                self._days.append(self._current_value)
                self._adv = sum(self._days) / len(self._days)
            self._current_day = day
            self._current_value = value
            self._day_after, self._day_last = utc_day_span(day)

    @property
    def adv(self) -> float:
        """Mean traded value of the last ``adv_days`` completed days; ``nan`` before one day completed."""
        return self._adv

    @property
    def completed_days(self) -> int:
        """How many completed days the average covers now (at most ``adv_days``)."""
        return len(self._days)

    @property
    def today_value(self) -> float:
        """Traded value so far in the current (incomplete) day."""
        return self._current_value


def penny_reason(request: OrderRequest, rule: PennyRule) -> str:
    """Why ``request`` may not add penny-bucket exposure under ``rule``, or "" when it may.

    Parameters
    ----------
    request : OrderRequest
        Its ``venue`` is the listing venue, ``price`` the last price and ``adv`` the average daily
        traded value (quote currency); ``nan`` ADV means unknown and is not eligible.
    rule : PennyRule
        The eligibility rule.

    Returns
    -------
    str
        ``penny_venue``, ``penny_price``, ``penny_adv`` (checked in that order) or "".
    """
    if request.venue not in rule.venues:
        return "penny_venue"
    if not request.price >= rule.min_price:
        return "penny_price"
    if not request.adv >= rule.min_adv:
        return "penny_adv"
    return ""
