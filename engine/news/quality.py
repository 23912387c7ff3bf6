"""Quality score of a headline in [0, 1]: the source tier's base, lowered for thin or spam-like text.

``base[tier]`` (tier 1 = wire/editorial, 2 = vetted aggregator, 3 = social) times 0.7 when the text has
fewer than ``min_words`` words, times 0.6 when it lists more cashtags than the linker accepts as strong.
The factors are deliberately simple and visible so a decision's attribution can explain them.
"""

from __future__ import annotations

TIER_BASE = {1: 1.0, 2: 0.8, 3: 0.6}
SHORT_FACTOR = 0.7
BROAD_FACTOR = 0.6


def quality_score(tier: int, n_words: int, broad: bool, min_words: int = 4) -> float:
    """Quality of one headline; see the module docstring for the formula."""
    score = TIER_BASE.get(tier, TIER_BASE[3])
    if n_words < min_words:
        score *= SHORT_FACTOR
    if broad:
        score *= BROAD_FACTOR
    return round(score, 4)
