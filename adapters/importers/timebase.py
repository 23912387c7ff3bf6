"""Plausible times and epoch units: the checks every importer applies to a row's timestamp.

* :class:`TimeWindow`: a time outside ``[not_before, not_after]`` (default 1990-01-01 to now + 1 day)
  is rejected as ``implausible_time`` with its line, instead of sorting a typo into the recording.
* :class:`EpochTimes`: the unit of numeric epochs (s, ms, us, ns) is decided once per file, as the first
  unit that puts the file's first epoch inside the window, and then applies to every row of that file.
  A millisecond epoch is never read as seconds because it happens to be small, and the unit used is
  reported.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from adapters.importers.errors import ImportRowError

NS_PER_S = 1_000_000_000
DAY_NS = 86_400 * NS_PER_S
DEFAULT_NOT_BEFORE = "1990-01-01"
UNITS: tuple[tuple[str, int], ...] = (("s", NS_PER_S), ("ms", 1_000_000), ("us", 1_000), ("ns", 1))

_EPOCH_RE = re.compile(r"^\d+(\.\d+)?$")


def _iso_ns(text: str) -> int:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * NS_PER_S + delta.microseconds * 1_000


def _iso(ns: int) -> str:
    return datetime.fromtimestamp(ns / NS_PER_S, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


@dataclass(frozen=True)
class TimeWindow:
    """Times an import accepts, in UTC nanoseconds (both ends included).

    Parameters
    ----------
    not_before_ns, not_after_ns
        The bounds; :meth:`default` gives 1990-01-01 and now + 1 day.
    """

    not_before_ns: int
    not_after_ns: int

    @classmethod
    def default(cls, not_before: str | None = None, not_after: str | None = None) -> TimeWindow:
        """The window from ISO dates (``None``: 1990-01-01, and the wall clock now + 1 day).

        The wall clock only bounds which input rows are believable; it never enters a recorded time.

        Raises
        ------
        ImportRowError
            ``unparseable_time`` for a bound that is not an ISO date.
        """
        try:
            low = _iso_ns(not_before or DEFAULT_NOT_BEFORE)
            high = _iso_ns(not_after) if not_after else time.time_ns() + DAY_NS
        except ValueError as e:
            raise ImportRowError("unparseable_time", f"time window bound: {e}") from None
        return cls(low, high)

    def contains(self, ns: int) -> bool:
        """Whether ``ns`` is inside the window."""
        return self.not_before_ns <= ns <= self.not_after_ns

    def check(self, ns: int, name: str = "time") -> int:
        """Return ``ns``, or raise ``implausible_time`` naming the window."""
        if not self.contains(ns):
            raise ImportRowError(
                "implausible_time",
                f"{name} {_iso(ns) if -1e19 < ns < 1e19 else ns} outside "
                f"{_iso(self.not_before_ns)} .. {_iso(self.not_after_ns)}",
            )
        return ns


@dataclass
class EpochTimes:
    """Parses one file's timestamps: numeric epochs in one unit for the whole file, or ISO-8601 strings.

    Parameters
    ----------
    window
        The plausible window; every time is checked against it.
    """

    window: TimeWindow
    unit: str | None = None
    _scale: int = field(default=0, repr=False)

    def parse(self, text: str, name: str = "time") -> int:
        """UTC nanoseconds of ``text`` (naive ISO strings are UTC).

        Raises
        ------
        ImportRowError
            ``missing_value``, ``unparseable_time`` or ``implausible_time``.
        """
        text = text.strip()
        if not text:
            raise ImportRowError("missing_value", f"{name} is empty")
        if not _EPOCH_RE.match(text):
            try:
                return self.window.check(_iso_ns(text), name)
            except ValueError:
                raise ImportRowError("unparseable_time", f"{name}={text!r}") from None
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise ImportRowError("unparseable_time", f"{name}={text!r}") from None
        if self.unit is None:
            for unit, scale in UNITS:
                if self.window.contains(int(value * scale)):
                    self.unit, self._scale = unit, scale
                    break
            else:
                detail = f"{name}={text} is inside the time window in no epoch unit (s/ms/us/ns)"
                raise ImportRowError("implausible_time", detail)
        return self.window.check(int(value * self._scale), name)
