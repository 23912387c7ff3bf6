"""Per-instrument news sentiment that decays towards neutral on the engine clock."""

from __future__ import annotations

import math
from collections import deque

_KEEP = 16  # recent items kept for attribution; older ones have decayed below notice at any sane half-life
_MIN_CONTRIBUTION = 0.01


class DecayedSentiment:
    """Relevance-weighted sentiment, clipped to [-1, 1]; halves every ``half_life_s`` of engine time.

    It also remembers the last few items that moved it, so a decision can name the news behind its
    sentiment (:meth:`contributors`, seed 004 F2).
    """

    __slots__ = ("_lambda_per_ns", "_value", "_ts", "_recent", "idle")

    def __init__(self, half_life_s: float) -> None:
        self._lambda_per_ns = math.log(2.0) / (half_life_s * 1e9)
        self._value = 0.0
        self._ts = 0
        self._recent: deque[tuple[str, int, float]] = deque(maxlen=_KEEP)
        self.idle = True
        """Nothing was ever added: :meth:`value` is 0.0 and :meth:`contributors` is () at any time."""

    def value(self, ts_ns: int) -> float:
        if self._value == 0.0 or ts_ns <= self._ts:
            return self._value
        return self._value * math.exp(-self._lambda_per_ns * (ts_ns - self._ts))

    def add(self, ts_ns: int, sentiment: float, relevance: float = 1.0, news_id: str = "") -> float:
        current = self.value(ts_ns)
        self.idle = False
        self._value = max(-1.0, min(1.0, current + sentiment * relevance))
        self._ts = max(self._ts, ts_ns)
        if news_id:
            self._recent.append((news_id, ts_ns, sentiment * relevance))
        return self._value

    def contributors(self, ts_ns: int, limit: int = 3) -> tuple[str, ...]:
        """Ids of the items whose decayed push on the sentiment is largest at ``ts_ns`` (at least 0.01),
        strongest first; ties broken by time, then id, so the answer is deterministic."""
        if not self._recent:
            return ()
        weighted = []
        for news_id, ts, push in self._recent:
            decayed = push * math.exp(-self._lambda_per_ns * max(0, ts_ns - ts))
            if abs(decayed) >= _MIN_CONTRIBUTION:
                weighted.append((-abs(decayed), ts, news_id))
        return tuple(news_id for _, _, news_id in sorted(weighted)[:limit])
