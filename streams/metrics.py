"""Prometheus metrics of the workers: per-source health of the news flow (seed 004, Track C1).

Counters by source and outcome (``success``, ``failure``, ``empty``, ``rate_limited``), processing
latency, and freshness (seconds from the newest item's event time to now: wall clock, for monitoring
only, never for a decision). Metric objects are module-level, as prometheus-client expects.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from prometheus_client import Counter, Gauge, Histogram

from schemas.market import NewsRaw

SOURCE_ITEMS = Counter(
    "aureus_news_source_items", "News items by source and outcome", ["worker", "source", "outcome"]
)
SOURCE_LATENCY = Histogram(
    "aureus_news_batch_latency_seconds", "Processing time of one news batch", ["worker"]
)
SOURCE_FRESHNESS = Gauge(
    "aureus_news_source_freshness_seconds", "Now minus the newest item's event time", ["worker", "source"]
)
NEWS_OUTCOMES = Counter(
    "aureus_news_outcomes", "News processor outcomes (duplicates, unlinked, links)", ["worker", "outcome"]
)
DEAD_LETTERS = Counter(
    "aureus_worker_dead_letters", "Messages sent to a dead-letter topic", ["worker", "topic"]
)


class SourceHealth:
    """Updates the source-health metrics of one worker."""

    def __init__(self, worker: str) -> None:
        self.worker = worker

    def record(self, *, source: str, outcome: str, n: int = 1) -> None:
        """Count ``n`` items of ``source`` with ``outcome``."""
        SOURCE_ITEMS.labels(self.worker, source, outcome).inc(n)

    def observe_batch(self, batch: Sequence[NewsRaw], result, seconds: float) -> None:
        """Account a processed batch: per-source success/empty/failure, latency, freshness, outcomes."""
        rejected = {id(raw): why for raw, why in result.rejected}
        newest: dict[str, int] = {}
        for item in batch:
            why = rejected.get(id(item))
            outcome = "success" if why is None else "empty" if why == "empty headline" else "failure"
            source = item.source.strip().lower() or "unknown"
            self.record(source=source, outcome=outcome)
            newest[source] = max(newest.get(source, 0), item.ts_event)
        SOURCE_LATENCY.labels(self.worker).observe(seconds)
        now = time.time()
        for source, ts in newest.items():
            SOURCE_FRESHNESS.labels(self.worker, source).set(now - ts / 1e9)
        for outcome, n in result.counts.items():
            NEWS_OUTCOMES.labels(self.worker, outcome).inc(n)
