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
        self._times: dict[str, list[int]] = {}
        self._closes: dict[str, list[float]] = {}
        self._pending: deque[tuple[int, str, int]] = deque()
        self._due = _NEVER  # when the oldest pending decision's horizon ends
        self._next_prune = 0  # pruning only frees memory: once per horizon of engine time is enough
        self.next_due = 0
        """Before this engine time :meth:`score` has nothing to do (returns ``[]``): a caller may skip it."""

    def on_close(self, instrument: str, ts: int, close: float) -> None:
        """A bar's close (non-decreasing ``ts`` per instrument)."""
        times = self._times.get(instrument)  # not setdefault: it builds a new list on every call
        if times is None:
            times = self._times[instrument] = []
            self._closes[instrument] = []
        elif times and ts < times[-1]:
            raise ValueError(f"{instrument}: close at {ts} before the last one at {times[-1]}")
        times.append(ts)
        self._closes[instrument].append(close)

    def on_decision(self, instrument: str, ts: int, action: str) -> None:
        """A decision; BUY and SELL wait for their horizon, HOLD is ignored."""
        direction = _DIRECTION.get(action)
        if direction is not None:
            if not self._pending:
                self._due = due = ts + self.horizon_ns
                if due < self.next_due:
                    self.next_due = due
            self._pending.append((ts, instrument, direction))

    def score(self, now: int) -> list[bool]:
        """Hits of the decisions whose horizon ended at or before ``now``, in decision order."""
        if now >= self._next_prune:
            self._prune(now)
            self._next_prune = now + self.horizon_ns
        if now < self._due:  # the oldest pending decision (if any) is not due: most steps
            self.next_due = min(self._due, self._next_prune)
            return []
        hits = []
        while self._pending and self._pending[0][0] + self.horizon_ns <= now:
            ts, instrument, direction = self._pending.popleft()
            start = self._close_at(instrument, ts)
            end = self._close_at(instrument, ts + self.horizon_ns)
            if start is None or end is None or end == start:
                continue
            hits.append((end > start) == (direction > 0))
        self._due = self._pending[0][0] + self.horizon_ns if self._pending else _NEVER
        self.next_due = min(self._due, self._next_prune)
        return hits

    def _close_at(self, instrument: str, ts: int) -> float | None:
        times = self._times.get(instrument, ())
        i = bisect.bisect_right(times, ts)
        return self._closes[instrument][i - 1] if i else None

    def _prune(self, now: int) -> None:
        """Drop closes no pending or later decision can need: those before the last close at or before
        the oldest pending decision (or ``now``, as later decisions come at or after the clock)."""
        cutoff = min(self._pending[0][0], now) if self._pending else now
        for instrument, times in self._times.items():
            if len(times) <= 1025:  # keep_from below cannot pass 1024
                continue
            keep_from = bisect.bisect_right(times, cutoff) - 1
            if keep_from > 1024:  # amortised: trim in batches, not on every step
                del times[:keep_from]
                del self._closes[instrument][:keep_from]
