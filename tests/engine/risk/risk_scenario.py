"""The scripted acceptance scenario shared by the quarantine and restart tests.

16 weekday trading days from Monday 2025-10-06 (weekends have no marks, so they are not trading days),
one mark per hour stamped at the hour's close (``ts`` = day start + h hours, h = 1..24; the 24:00 mark
belongs to the day it closes); each day's first mark is flat. Kill days are trading days 1, 4 and 7
(exactly -2.5 % at hour 11, then -3 %); day 3 dips to -2.49 % and recovers; other odd days gain 0.4 %,
even days lose 0.1 %.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from engine.config import RiskConfig
from engine.risk.supervisor import RiskSupervisor
from engine.risk.updates import RiskUpdate

NS_PER_HOUR = 3_600 * 1_000_000_000
NS_PER_DAY = 24 * NS_PER_HOUR
START = date(2025, 10, 6)  # a Monday
N_DAYS = 16
KILL_DAYS = (1, 4, 7)
KILL_HOUR = 11
NEAR_MISS_DAY = 3
PROFIT_DAYS = (5, 9, 11, 13, 15)
START_NAV = 100_000.0
CONFIGURED_MODE = "limited"


def trading_dates(n: int = N_DAYS) -> list[str]:
    """The first ``n`` weekdays from :data:`START`, as ``YYYY-MM-DD``."""
    days: list[str] = []
    d = START
    while len(days) < n:
        if d.weekday() < 5:
            days.append(d.isoformat())
        d += timedelta(days=1)
    return days


def day_of(n: int) -> str:
    """``YYYY-MM-DD`` of trading day ``n`` (1-based)."""
    return trading_dates(n)[n - 1]


def _day_start_ns(day: str) -> int:
    return (date.fromisoformat(day) - date(1970, 1, 1)).days * NS_PER_DAY


def _day_shape(n: int) -> list[float]:
    """Day P&L fraction at each of the 24 hourly marks of trading day ``n`` (the first mark is flat)."""
    if n in KILL_DAYS:
        # exactly -2.5 % at hour 11, -3 % at hour 13, then recover to -2.56 % at the close
        slide = [-0.0025 * h for h in range(11)]
        return slide + [-0.0275, -0.03] + [-0.03 + 0.0004 * h for h in range(1, 12)]
    if n == NEAR_MISS_DAY:
        return [-0.0249 * h / 11 for h in range(12)] + [-0.0249 + 0.002 * h for h in range(1, 13)]
    drift = 0.004 if n % 2 else -0.001  # odd days gain 0.4 %, even days lose 0.1 %
    return [drift * h / 23 for h in range(24)]


@dataclass(frozen=True)
class Mark:
    n: int
    day: str
    hour: int
    ts: int
    nav: float


def scenario_marks(n_days: int = N_DAYS) -> list[Mark]:
    """All marks of the scenario; each day starts from the previous day's last NAV."""
    marks: list[Mark] = []
    nav = START_NAV
    for n, day in enumerate(trading_dates(n_days), start=1):
        sod = nav
        for hour, pnl in enumerate(_day_shape(n), start=1):
            nav = sod * (1.0 + pnl)
            marks.append(Mark(n=n, day=day, hour=hour, ts=_day_start_ns(day) + hour * NS_PER_HOUR, nav=nav))
    return marks


@dataclass
class DayLog:
    """What the test observes on one trading day."""

    day: str
    mode_at_open: str = ""
    mode_at_close: str = ""
    flattens: int = 0
    halted_at_close: bool = False
    updates: list[RiskUpdate] = field(default_factory=list)


def run_marks(
    supervisor: RiskSupervisor, marks: Iterable[Mark], logs: dict[str, DayLog] | None = None
) -> dict[str, DayLog]:
    """Feed marks, flattening (``record_flatten``) whenever asked, and log each day."""
    logs = {} if logs is None else logs
    for m in marks:
        update = supervisor.mark(m.ts, m.nav)
        log = logs.setdefault(m.day, DayLog(day=m.day))
        if m.hour == 1:
            log.mode_at_open = supervisor.mode
        if update.flatten:
            log.flattens += 1
            supervisor.record_flatten(m.ts, "kill_switch")
        log.updates.append(update)
        log.mode_at_close = supervisor.mode
        log.halted_at_close = supervisor.halted
    return logs


def marks_of_days(first: int, last: int) -> list[Mark]:
    """Marks of trading days ``first`` to ``last`` inclusive (1-based)."""
    return [m for m in scenario_marks() if first <= m.n <= last]


def default_risk() -> RiskConfig:
    """Seed 001 defaults: -2.5 %, 3 kill days in 10 → 7 demo days, SIP 1 %."""
    return RiskConfig()
