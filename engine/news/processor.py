"""The news processor: ``NewsRaw`` batches in, ``NewsScored`` items out (one per linked instrument).

Layers (seed 004, Track F1): normalise (text, UTC ns, source) -> link -> deduplicate -> quality -> sentiment.
Pure apart from the model call: state is the deduplication window, advanced by the items' own times, so
the news worker, ``aureus news score`` and the tests produce the same output from the same input.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from typing import Protocol

import msgspec

from engine.config import NewsWorkerConfig
from engine.news.dedup import Deduplicator
from engine.news.errors import NewsInputError
from engine.news.linking import InstrumentLinker, Link
from engine.news.quality import quality_score
from schemas.market import NewsRaw, NewsScored

# Bounds of a plausible news time (2000-01-01 .. 2100-01-01 UTC), to catch seconds/ms sent as ns.
_MIN_NS = 946_684_800 * 10**9
_MAX_NS = 4_102_444_800 * 10**9


class SentimentScorer(Protocol):
    """Anything that scores texts in [-1, 1] (the ONNX model, or a fake in unit tests)."""

    name: str

    def score(self, texts: list[str]) -> Sequence[float]: ...


class Normalised(msgspec.Struct, frozen=True):
    """A raw item after normalisation: clean text, UTC ns time, lower-case source, stable id."""

    news_id: str
    source: str
    ts_event: int
    text: str
    tagged: tuple[str, ...]


def news_id(source: str, ts_event: int, headline: str) -> str:
    """Stable id of a raw item: 16 hex digits of sha256(source, time, headline)."""
    digest = hashlib.sha256(f"{source}\x1f{ts_event}\x1f{headline}".encode())
    return digest.hexdigest()[:16]


def normalise(item: NewsRaw) -> Normalised:
    """Clean one raw item.

    Raises
    ------
    NewsInputError
        Empty headline or source, or a time outside 2000-2100 (seconds or milliseconds sent as ns).
    """
    text = " ".join(f"{item.headline} {item.body}".split()) if item.body else " ".join(item.headline.split())
    source = item.source.strip().lower()
    if not text:
        raise NewsInputError("empty headline")
    if not source:
        raise NewsInputError("empty source")
    if not _MIN_NS <= item.ts_event < _MAX_NS:
        raise NewsInputError(f"ts_event {item.ts_event} is not UTC nanoseconds between 2000 and 2100")
    return Normalised(news_id(source, item.ts_event, text), source, item.ts_event, text, item.instruments)


class BatchResult(msgspec.Struct):
    """Output of one batch: scored items, the items rejected (with why), and counters.

    ``stamps[i]`` is the deduplicator's clock when ``scored[i]`` was admitted and ``origins[i]`` the index
    of its raw item in the batch: the news worker publishes both with the item so a restart can rebuild
    its state from its output (``streams/news/published.py``).
    """

    scored: list[NewsScored]
    rejected: list[tuple[NewsRaw, str]]
    counts: Counter
    stamps: list[int] = msgspec.field(default_factory=list)
    origins: list[int] = msgspec.field(default_factory=list)


def training_items(items: Sequence[NewsScored], *, include_weak_links: bool = False) -> list[NewsScored]:
    """Items a model may train on: weak links only when ``include_weak_links`` (off by default)."""
    return [i for i in items if include_weak_links or not i.weak_link]


class NewsProcessor:
    """Stateful (dedup window) news pipeline; see the module docstring.

    Parameters
    ----------
    config : NewsWorkerConfig
        Window, thresholds, tiers, venue.
    linker : InstrumentLinker
        Symbol tables.
    scorer : SentimentScorer
        Sentiment model.
    instruments : dict[str, str], optional
        Symbol to instrument id; default ``SYMBOL.<config.venue>``. A recording's own instruments go here
        so scored news lands on the ids its bars use.
    """

    def __init__(
        self,
        config: NewsWorkerConfig,
        linker: InstrumentLinker,
        scorer: SentimentScorer,
        instruments: dict[str, str] | None = None,
    ) -> None:
        self.config = config
        self.linker = linker
        self.scorer = scorer
        self.instruments = instruments
        self.dedup = Deduplicator(
            int(config.dedup_window_s * 1e9),
            config.near_duplicate_threshold,
            max_entries=config.dedup_max_items,
        )

    def _instrument(self, symbol: str) -> str | None:
        if self.instruments is None:
            return f"{symbol}.{self.config.venue}"
        return self.instruments.get(symbol)

    def _links(self, item: Normalised) -> list[tuple[str, Link]]:
        out = []
        for link in self.linker.link(item.text, item.tagged):
            instrument = self._instrument(link.symbol)
            if instrument is not None:
                out.append((instrument, link))
        return out

    def process(self, batch: Sequence[NewsRaw]) -> BatchResult:
        """Process a batch in order; sentiment is scored once for all items that survive."""
        counts: Counter = Counter()
        rejected: list[tuple[NewsRaw, str]] = []
        kept: list[tuple[Normalised, list[tuple[str, Link]]]] = []
        admitted: list[tuple[int, int]] = []
        for index, raw in enumerate(batch):
            counts["received"] += 1
            try:
                item = normalise(raw)
            except NewsInputError as e:
                rejected.append((raw, str(e)))
                counts["rejected"] += 1
                continue
            links = self._links(item)
            duplicate = self.dedup.check(item.text, [i for i, _ in links], item.ts_event)
            if duplicate is not None:
                counts[f"duplicate_{duplicate}"] += 1
                continue
            if not links:
                counts["unlinked"] += 1
                continue
            kept.append((item, links))
            admitted.append((self.dedup.now, index))
        sentiments = self.scorer.score([item.text for item, _ in kept]) if kept else []
        scored: list[NewsScored] = []
        stamps: list[int] = []
        origins: list[int] = []
        for (item, links), sentiment, (stamp, index) in zip(kept, sentiments, admitted, strict=True):
            tier = self.config.source_tiers.get(item.source, 3)
            broad = any(link.method == "cashtag" and link.weak for _, link in links)
            quality = quality_score(tier, len(item.text.split()), broad, self.config.min_words)
            for instrument, link in links:
                counts["weak_links" if link.weak else "strong_links"] += 1
                stamps.append(stamp)
                origins.append(index)
                scored.append(
                    NewsScored(
                        source=item.source,
                        ts_event=item.ts_event,
                        instrument=instrument,
                        headline=item.text,
                        sentiment=round(float(sentiment), 6),
                        relevance=self.config.weak_link_relevance if link.weak else 1.0,
                        scorer=self.scorer.name,
                        news_id=item.news_id,
                        quality=quality,
                        source_tier=tier,
                        link=link.method,
                        weak_link=link.weak,
                    )
                )
        counts["scored_items"] += len(kept)
        return BatchResult(scored=scored, rejected=rejected, counts=counts, stamps=stamps, origins=origins)
