"""Prometheus metrics of the workers: per-source health of the news flow (seed 004, Track C1), the news
worker's bounded state, and the alert sinks' health.

News: counters by source and outcome (``success``, ``failure``, ``empty``), processing latency, and
freshness (seconds from the newest item's event time to now: wall clock, for monitoring only, never for a
decision). No ``news.raw`` producer in this repository fetches over HTTP (the importers read files), so
rate limiting is counted where it really happens: the alert sinks' HTTP 429 answers
(``aureus_alert_sink_outcomes{outcome="rate_limited"}``). Metric objects are module-level, as
prometheus-client expects.
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
NEWS_STATE_SIZE = Gauge(
    "aureus_news_state_entries", "Entries in the news worker's bounded windows", ["worker", "table"]
)
NEWS_STATE_EVICTED = Counter(
    "aureus_news_state_evicted_early",
    "Entries dropped by the size cap before the dedup window expired them",
    ["worker", "table"],
)
ALERT_SINK_OUTCOMES = Counter(
    "aureus_alert_sink_outcomes",
    "Alert delivery attempts by sink and outcome (delivered, rate_limited, failed, circuit_open, already,"
    " dead_lettered, record_failed)",
    ["worker", "sink", "outcome"],
)
ALERT_RECORD_SECONDS = Histogram(
    "aureus_alert_record_seconds",
    "From a sink's success answer to the delivery log's ack (the window in which a crash re-sends)",
    ["worker", "sink"],
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


class NewsState:
    """Exports the sizes of the news worker's windows and counts early (size-cap) evictions."""

    def __init__(self, worker: str) -> None:
        self.worker = worker
        self._evicted = {"dedup": 0, "published": 0}

    def observe(self, dedup, published) -> None:
        """Update from a ``Deduplicator`` and a ``PublishedWindow`` after a batch."""
        for table, holder, size in (
            ("dedup", dedup, len(dedup)),
            ("published", published, len(published)),
        ):
            NEWS_STATE_SIZE.labels(self.worker, table).set(size)
            new = holder.evicted_early - self._evicted[table]
            if new > 0:
                NEWS_STATE_EVICTED.labels(self.worker, table).inc(new)
                self._evicted[table] = holder.evicted_early
