"""Per-instrument news sentiment that decays towards neutral on the engine clock."""

from __future__ import annotations

import math


class DecayedSentiment:
    """Relevance-weighted sentiment, clipped to [-1, 1]; halves every ``half_life_s`` of engine time."""

    __slots__ = ("_lambda_per_ns", "_value", "_ts")

    def __init__(self, half_life_s: float) -> None:
        self._lambda_per_ns = math.log(2.0) / (half_life_s * 1e9)
        self._value = 0.0
        self._ts = 0

    def value(self, ts_ns: int) -> float:
        if self._value == 0.0 or ts_ns <= self._ts:
            return self._value
        return self._value * math.exp(-self._lambda_per_ns * (ts_ns - self._ts))

    def add(self, ts_ns: int, sentiment: float, relevance: float = 1.0) -> float:
        current = self.value(ts_ns)
        self._value = max(-1.0, min(1.0, current + sentiment * relevance))
        self._ts = max(self._ts, ts_ns)
        return self._value
