"""Exact and near-duplicate headlines within a window of event time.

Exact: the same normalised text about the same instruments, from any source. Near: the same text once
retweet markers, user and URL placeholders, links and punctuation are stripped (StockNet retweets:
``rt AT_USER <text>``), or a word-set Jaccard similarity at or above ``threshold`` with a recent
headline about the same instrument. Time is the items' own ``ts_event``, so the same stream deduplicates
the same way in replay and live.
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict, deque

_URL = re.compile(r"https?://\S+|www\.\S+")
_NOISE_WORDS = frozenset({"rt", "at_user", "url", "via"})
_NON_WORD = re.compile(r"[^a-z0-9_$ ]+")


def exact_key(text: str) -> str:
    """Key of the exact text (case and spacing normalised)."""
    return hashlib.sha1(" ".join(text.lower().split()).encode(), usedforsecurity=False).hexdigest()


def near_words(text: str) -> tuple[str, ...]:
    """The words that remain once retweet markers, placeholders, links and punctuation are removed."""
    cleaned = _NON_WORD.sub(" ", _URL.sub(" ", text.lower()))
    return tuple(w for w in cleaned.split() if w not in _NOISE_WORDS)


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """|a & b| / |a | b| (0 for two empty sets)."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


class Deduplicator:
    """Remembers headlines for ``window_ns`` of event time; answers ``None``, ``"exact"`` or ``"near"``.

    Parameters
    ----------
    window_ns : int
        How long a headline suppresses its repeats.
    threshold : float
        Jaccard similarity at or above which two headlines on one instrument are near-duplicates.
    recent_per_instrument : int
        How many recent headlines per instrument the similarity check compares against.
    """

    def __init__(self, window_ns: int, threshold: float, recent_per_instrument: int = 32) -> None:
        self.window_ns = window_ns
        self.threshold = threshold
        self._exact: OrderedDict[str, int] = OrderedDict()
        self._near: OrderedDict[str, int] = OrderedDict()
        self._recent: dict[str, deque[tuple[int, frozenset[str], int]]] = {}
        self._recent_size = recent_per_instrument
        self._now = 0

    def _expire(self, ts: int) -> None:
        self._now = max(self._now, ts)
        horizon = self._now - self.window_ns
        for table in (self._exact, self._near):
            while table and next(iter(table.values())) < horizon:
                table.popitem(last=False)

    def check(self, text: str, symbols: list[str], ts: int) -> str | None:
        """Classify one headline and remember it when it is new."""
        self._expire(ts)
        horizon = self._now - self.window_ns
        about = "|" + ",".join(sorted(symbols))
        key = exact_key(text) + about
        if key in self._exact:
            return "exact"
        words = near_words(text)
        near = hashlib.sha1(" ".join(words).encode(), usedforsecurity=False).hexdigest() + about
        if words and near in self._near:
            return "near"
        word_set = frozenset(words)
        size, threshold = len(word_set), self.threshold
        for symbol in symbols:
            for seen_ts, seen, other in self._recent.get(symbol, ()):
                # Jaccard <= min/max of the two sizes: most pairs are ruled out without a set operation
                # (written out rather than min()/max(): this loop runs ~20 times per headline).
                if seen_ts < horizon:
                    continue
                if other <= size:
                    if other < threshold * size:
                        continue
                elif size < threshold * other:
                    continue
                # jaccard() inlined (hot loop); the same division, so the same float comparison.
                common = len(word_set & seen)
                union = size + other - common
                if (common / union if union else 0.0) >= threshold:
                    return "near"
        self._exact[key] = self._now
        if words:
            self._near[near] = self._now
        entry = (self._now, word_set, size)
        for symbol in symbols:
            self._recent.setdefault(symbol, deque(maxlen=self._recent_size)).append(entry)
        return None
