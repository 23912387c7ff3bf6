"""Synthetic news: shocks that move one instrument, noise headlines that do not, and a crash headline.

A *shock* published at minute ``t`` (``ts`` = minute start + 15..55 s) moves its instrument by
``sentiment * size`` in log terms, spread over 1-5 minutes starting in minute ``t`` (the headline
accompanies the move) or ``t + 1`` (it precedes it). The scored event follows the raw headline by two
seconds, so both come before the close of the first bar that carries the jump. *Noise* headlines have
a small sentiment, a lower relevance and no price effect.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from adapters.synthetic.market import MINUTES_PER_DAY, InstrumentParams

SOURCE = "synthetic"
SCORER = "synthetic:truth"
SHOCKS_PER_DAY = 1.2
NOISE_PER_DAY = 1.0
SCORE_DELAY_S = 2

_POSITIVE = (
    "{name} beats quarterly estimates and raises full-year guidance",
    "{name} wins multi-year supply contract with major customer",
    "Regulator approves {name}'s flagship product",
    "{name} announces surprise buyback",
    "Analysts upgrade {name} to buy on strong demand",
)
_NEGATIVE = (
    "{name} misses revenue estimates, cuts outlook",
    "{name} faces regulatory probe over accounting",
    "{name} recalls products after safety complaints",
    "{name} CFO resigns unexpectedly",
    "Analysts downgrade {name} to sell on margin pressure",
)
_NEUTRAL = (
    "{name} schedules investor day for next month",
    "{name} to present at industry conference",
    "{name} appoints new board member",
    "{name} reaffirms dividend",
)


@dataclass(frozen=True)
class NewsEvent:
    """One synthetic headline with its ground truth.

    ``instrument`` is an index into the universe, or ``-1`` for a market-wide headline.
    ``jump`` is the log move it causes (0 for noise and for the market-wide crash headline, whose move
    is in the market factor).
    """

    minute: int
    offset_s: int
    instrument: int
    sentiment: float
    relevance: float
    jump: float
    headline: str


def draw_news(
    universe: list[InstrumentParams], days: int, rng: np.random.Generator
) -> tuple[list[NewsEvent], np.ndarray]:
    """Draw shocks and noise headlines and the jump returns they cause.

    Returns
    -------
    tuple
        The events (unsorted) and the ``(minutes, instruments)`` array of jump log returns.
    """
    minutes = days * MINUTES_PER_DAY
    jumps = np.zeros((minutes, len(universe)))
    events: list[NewsEvent] = []
    for index, params in enumerate(universe):
        scale = 1.5 if params.bucket == "penny" else 1.0
        for minute in np.sort(rng.integers(30, minutes - 10, size=rng.poisson(SHOCKS_PER_DAY * days))):
            sign = 1.0 if rng.random() < 0.5 else -1.0
            sentiment = round(sign * float(rng.uniform(0.4, 1.0)), 4)
            jump = sentiment * float(rng.uniform(0.01, 0.04)) * scale
            start = int(minute) + int(rng.integers(0, 2))
            spread = int(rng.integers(1, 6))
            jumps[start : start + spread, index] += jump / spread
            template = _POSITIVE if sign > 0 else _NEGATIVE
            headline = template[int(rng.integers(len(template)))].format(name=params.symbol)
            events.append(NewsEvent(int(minute), int(rng.integers(15, 56)), index, sentiment,
                                    round(float(rng.uniform(0.7, 1.0)), 4), jump, headline))  # fmt: skip
        for minute in np.sort(rng.integers(0, minutes, size=rng.poisson(NOISE_PER_DAY * days))):
            sentiment = round(float(rng.uniform(-0.2, 0.2)), 4)
            headline = _NEUTRAL[int(rng.integers(len(_NEUTRAL)))].format(name=params.symbol)
            events.append(NewsEvent(int(minute), int(rng.integers(15, 56)), index, sentiment,
                                    round(float(rng.uniform(0.2, 0.5)), 4), 0.0, headline))  # fmt: skip
    return events, jumps


def crash_headline(start_minute: int, log_move: float) -> NewsEvent:
    """The market-wide headline published as the crash starts."""
    drop = (1.0 - float(np.exp(log_move))) * 100.0
    headline = f"Markets tumble as liquidity dries up; broad selloff deepens (index -{drop:.0f}% intraday)"
    return NewsEvent(start_minute, 20, -1, -0.9, 1.0, 0.0, headline)
