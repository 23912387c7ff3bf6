"""Prometheus metrics of the Kafka edge: events in, dead letters, consumer lag, bar age, outputs.

One set per process on prometheus-client's default registry (what ``/metrics`` serves); tests read them
with ``REGISTRY.get_sample_value``.
"""

from __future__ import annotations

import functools
import time

from prometheus_client import Counter, Gauge


class KafkaMetrics:
    """The counters and gauges; build it with :func:`kafka_metrics`."""

    def __init__(self) -> None:
        self.events_in = Counter("aureus_events_in", "Messages consumed and handed to the node", ["topic"])
        self.dead_letters = Counter("aureus_dead_letters", "Messages sent to dlq.<topic>", ["topic"])
        self.consumer_lag = Gauge(
            "aureus_consumer_lag", "High watermark minus position", ["topic", "partition"]
        )
        self.last_bar_ts = Gauge(
            "aureus_last_bar_event_ts_seconds", "ts_event of the last bar", ["instrument"]
        )
        self.last_bar_age = Gauge(
            "aureus_last_bar_age_seconds", "Wall-clock seconds since the last bar arrived", ["instrument"]
        )
        self.published = Counter("aureus_published", "Messages the node published", ["topic"])
        self.publish_errors = Counter("aureus_publish_errors", "Messages the broker refused", ["topic"])
        self.decisions = Counter("aureus_decisions", "Decisions (signals) the strategy emitted")
        self.orders = Counter("aureus_orders", "Order events the strategy emitted")
        self._bar_seen: dict[str, float] = {}

    def bar_arrived(self, instrument: str, ts_event_ns: int) -> None:
        """Record a bar's arrival (wall clock, for the age gauge) and its event time."""
        if instrument not in self._bar_seen:
            self.last_bar_age.labels(instrument).set_function(
                lambda: time.monotonic() - self._bar_seen[instrument]
            )
        self._bar_seen[instrument] = time.monotonic()
        self.last_bar_ts.labels(instrument).set(ts_event_ns / 1e9)


@functools.cache
def kafka_metrics() -> KafkaMetrics:
    """The process's metrics (created once: prometheus-client refuses duplicate names)."""
    return KafkaMetrics()
