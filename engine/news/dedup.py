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

    Memory is bounded twice: entries leave once their stamp (the newest event time seen when they were
    admitted) falls ``window_ns`` behind the newest event time, and each table keeps at most
    ``max_entries``, dropping its oldest early and counting it in ``evicted_early``.

    :meth:`restore` rebuilds the window from what a worker published before a restart
    (``streams/news/published.py``).

    Parameters
    ----------
    window_ns : int
        How long a headline suppresses its repeats.
    threshold : float
        Jaccard similarity at or above which two headlines on one instrument are near-duplicates.
    recent_per_instrument : int
        How many recent headlines per instrument the similarity check compares against.
    max_entries : int
        Size cap of the exact and the near table each.
    """

    def __init__(
        self, window_ns: int, threshold: float, recent_per_instrument: int = 32, max_entries: int = 200_000
    ) -> None:
        self.window_ns = window_ns
        self.threshold = threshold
        self.max_entries = max_entries
        self.evicted_early = 0
        self._exact: OrderedDict[str, int] = OrderedDict()
        self._near: OrderedDict[str, int] = OrderedDict()
        self._recent: dict[str, deque[tuple[int, frozenset[str], int]]] = {}
        self._recent_size = recent_per_instrument
        self._now = 0

    @property
    def now(self) -> int:
        """The newest event time seen (ns): the stamp of entries admitted now."""
        return self._now

    def __len__(self) -> int:
        return len(self._exact)

    def _expire(self, ts: int) -> None:
        self._now = max(self._now, ts)
        horizon = self._now - self.window_ns
        for table in (self._exact, self._near):
            while table and next(iter(table.values())) < horizon:
                table.popitem(last=False)

    def _cap(self) -> None:
        while len(self._exact) > self.max_entries:
            self._exact.popitem(last=False)
            self.evicted_early += 1  # counted once per headline: the exact table has one entry each
        while len(self._near) > self.max_entries:
            self._near.popitem(last=False)

    def _keys(self, text: str, symbols: list[str]) -> tuple[str, str, tuple[str, ...]]:
        about = "|" + ",".join(sorted(symbols))
        words = near_words(text)
        near = hashlib.sha1(" ".join(words).encode(), usedforsecurity=False).hexdigest() + about
        return exact_key(text) + about, near, words

    def _remember(self, key: str, near: str, words: tuple[str, ...], symbols: list[str], stamp: int) -> None:
        word_set = frozenset(words)
        tables = ((self._exact, key), (self._near, near)) if words else ((self._exact, key),)
        for table, k in tables:
            table[k] = stamp
            table.move_to_end(k)
        entry = (stamp, word_set, len(word_set))
        for symbol in symbols:
            self._recent.setdefault(symbol, deque(maxlen=self._recent_size)).append(entry)
        self._cap()

    def check(self, text: str, symbols: list[str], ts: int) -> str | None:
        """Classify one headline and remember it when it is new."""
        self._expire(ts)
        horizon = self._now - self.window_ns
        key, near, words = self._keys(text, symbols)
        if key in self._exact:
            return "exact"
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
        self._remember(key, near, words, symbols, self._now)
        return None

    def restore(self, text: str, symbols: list[str], stamp: int) -> None:
        """Remember a headline published before a restart as admitted at ``stamp``."""
        self._expire(stamp)
        if stamp < self._now - self.window_ns:
            return
        key, near, words = self._keys(text, symbols)
        self._remember(key, near, words, symbols, stamp)
