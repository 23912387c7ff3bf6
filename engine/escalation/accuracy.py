"""Did each decision's direction match the return over the next horizon? The model-decay trigger's input.

A BUY (SELL) decision at ``t`` is a hit when the instrument's close at ``t + horizon`` is above (below) its
close at ``t``; HOLD is not scored, and neither is a flat return. A decision is scored only once the
engine clock has reached ``t + horizon``, from closes at or before that time, so closes fed ahead of the
clock (a replay hands over a chunk of bars before the engine runs it) never score anything early.
"""

from __future__ import annotations

import bisect
from collections import deque

_DIRECTION = {"BUY": 1, "SELL": -1}
_NEVER = 2**63  # past any engine timestamp: nothing pending


class DirectionScorer:
    """Pending decisions and recent closes per instrument.

    Parameters
    ----------
    horizon_ns : int
        How far ahead the return is measured (``escalation.accuracy_horizon_s``).
    """

    def __init__(self, horizon_ns: int) -> None:
        if horizon_ns <= 0:
            raise ValueError(f"horizon_ns must be positive, got {horizon_ns}")
        self.horizon_ns = horizon_ns
        self._series: dict[str, tuple[list[int], list[float]]] = {}  # times and closes per instrument
        self._pending: deque[tuple[int, int, str, int]] = deque()  # (due, ts, instrument, direction)
        self._due = _NEVER  # when the oldest pending decision's horizon ends
        self._next_prune = 0  # pruning only frees memory: once per horizon of engine time is enough
        self.next_due = 0
        """Before this engine time :meth:`score` has nothing to do (returns ``[]``): a caller may skip it."""

    def on_close(self, instrument: str, ts: int, close: float) -> None:
        """A bar's close (non-decreasing ``ts`` per instrument)."""
        series = self._series.get(instrument)  # not setdefault: it builds new lists on every call
        if series is None:
            self._series[instrument] = ([ts], [close])  # never emptied again (_prune keeps the last)
            return
        times, closes = series
        if ts < times[-1]:
            raise ValueError(f"{instrument}: close at {ts} before the last one at {times[-1]}")
        times.append(ts)
        closes.append(close)

    def on_decision(self, instrument: str, ts: int, action: str) -> None:
        """A decision; BUY and SELL wait for their horizon, HOLD is ignored."""
        direction = _DIRECTION.get(action)
        if direction is not None:
            due = ts + self.horizon_ns
            if not self._pending:
                self._due = due
                if due < self.next_due:
                    self.next_due = due
            self._pending.append((due, ts, instrument, direction))

    def score(self, now: int) -> list[bool]:
        """Hits of the decisions whose horizon ended at or before ``now``, in decision order."""
        if now >= self._next_prune:
            self._prune(now)
            self._next_prune = now + self.horizon_ns
        if now < self._due:  # the oldest pending decision (if any) is not due: most steps
            self.next_due = min(self._due, self._next_prune)
            return []
        hits = []
        pending, series = self._pending, self._series
        while pending and pending[0][0] <= now:
            due, ts, instrument, direction = pending.popleft()
            both = series.get(instrument)
            if both is None:
                continue
            times, closes = both
            i = bisect.bisect_right(times, ts)  # closes[i - 1]: the last close at or before ts
            if not i:  # none (nor at or before due)
                continue
            start, end = closes[i - 1], closes[bisect.bisect_right(times, due, i) - 1]  # due > ts: from i on
            if end != start:
                hits.append((end > start) == (direction > 0))
        self._due = due = pending[0][0] if pending else _NEVER
        self.next_due = due if due < self._next_prune else self._next_prune
        return hits

    def _prune(self, now: int) -> None:
        """Drop closes no pending or later decision can need: those before the last close at or before
        the oldest pending decision (or ``now``, as later decisions come at or after the clock)."""
        cutoff = min(self._pending[0][1], now) if self._pending else now
        for times, closes in self._series.values():
            if len(times) <= 1025:  # keep_from below cannot pass 1024
                continue
            keep_from = bisect.bisect_right(times, cutoff) - 1
            if keep_from > 1024:  # amortised: trim in batches, not on every step
                del times[:keep_from]
                del closes[:keep_from]
