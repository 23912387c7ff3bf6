"""When the portfolio step for a timestamp runs: bars are grouped by timestamp, whatever their arrival order.

Pure bookkeeping, no clock of its own: the caller passes each bar's timestamp and says when its grace
period ran out. A timestamp is *due* when every expected instrument's bar for it arrived, when a bar of a
later timestamp arrives, or when its grace period passed; it is then taken, once, with its instruments
sorted, so the step that follows never depends on arrival order. A bar for a timestamp already taken (or
older than the pending one) is *late*; a second bar of one instrument for the same timestamp is a *duplicate*.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

Arrival = Literal["first", "waiting", "complete", "late", "duplicate"]


class TimestampBatch:
    """Groups bar arrivals by timestamp for one portfolio.

    Parameters
    ----------
    instruments : iterable of str
        Every instrument the portfolio expects a bar from at each timestamp.
    """

    def __init__(self, instruments: Iterable[str]) -> None:
        self.expected = frozenset(instruments)
        self.everything: tuple[str, ...] = tuple(sorted(self.expected))
        """What :meth:`take` returns (this very tuple) when exactly the expected instruments arrived."""
        self.pending_ts: int | None = None
        self.last_taken_ts = -1
        self._arrived: set[str] = set()

    def overtaken_by(self, ts: int) -> bool:
        """Whether a bar at ``ts`` makes the pending timestamp due (the clock moved past it)."""
        return self.pending_ts is not None and ts > self.pending_ts

    def add(self, ts: int, instrument: str) -> Arrival:
        """Record a bar; take the pending timestamp first when :meth:`overtaken_by` says so.

        Returns
        -------
        {"first", "waiting", "complete", "late", "duplicate"}
            ``first``: it opened a new timestamp (arm the grace timer); ``complete``: every expected bar
            for the timestamp is in (take it now); ``late`` / ``duplicate``: not part of any batch.
        """
        if ts <= self.last_taken_ts or (self.pending_ts is not None and ts < self.pending_ts):
            return "late"
        if self.pending_ts is not None and ts != self.pending_ts:
            raise ValueError(f"bar at {ts} while {self.pending_ts} is pending: take the pending one first")
        first = self.pending_ts is None
        if instrument in self._arrived:
            return "duplicate"
        self.pending_ts = ts
        self._arrived.add(instrument)
        if self.expected <= self._arrived:
            return "complete"
        return "first" if first else "waiting"

    def take(self) -> tuple[int, tuple[str, ...]]:
        """The pending timestamp and its instruments (sorted); clears it.

        Raises
        ------
        ValueError
            Nothing is pending.
        """
        if self.pending_ts is None:
            raise ValueError("no timestamp is pending")
        arrived = self._arrived
        ts = self.pending_ts
        instruments = self.everything if arrived == self.expected else tuple(sorted(arrived))
        self.pending_ts = None
        self.last_taken_ts = ts
        arrived.clear()
        return ts, instruments
