"""Deliver one alert to every matching subscriber, concurrently, with retries, a breaker per sink, and a
dead-letter file for what still fails. A failing or slow sink delays only its own deliveries.

Idempotency: a :class:`DeliveryLog` remembers ``(sink, alert id)`` pairs delivered. It is checked before
each send and written (Redis ``SET NX`` with a TTL) after the sink's success answer and before the alert is
acknowledged, so an alert the broker redelivers after a crash or a rebalance is not sent again to a sink
that already has it. What remains: a crash after the receiver accepted the alert and before the record
is acked re-sends that one alert (``aureus_alert_record_seconds`` measures the record's part of that
window). An unreachable log is not a reason to lose an alert: ``seen`` failing counts as not seen, and a
``mark`` that keeps failing is logged and counted (``record_failed``).

Rate limits (HTTP 429) are counted per sink (``rate_limited``), wait at least the receiver's
``retry_after``, and do not open the circuit breaker: the receiver is up, only throttling.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Protocol

import msgspec
import structlog
from redis.exceptions import RedisError

from adapters.alerts.errors import SinkError, SinkRateLimitedError, SinkTemporaryError
from engine.config import AlertsConfig, AlertSubscription
from schemas.alerts import Alert
from streams.alerts.routing import CircuitBreaker, alert_id, backoff_delay, matches
from streams.metrics import ALERT_RECORD_SECONDS, ALERT_SINK_OUTCOMES

log = structlog.get_logger("aureus.alerts")


class Sink(Protocol):
    """An alert destination."""

    name: str

    async def send(self, alert: Alert, alert_id: str) -> None: ...


class DeliveryLog(Protocol):
    """Which alerts each sink already received."""

    async def seen(self, sink: str, alert_id: str) -> bool: ...

    async def mark(self, sink: str, alert_id: str) -> bool: ...


class MemoryDeliveryLog:
    """In-process :class:`DeliveryLog` (one-shot CLI subscribers, unit tests)."""

    def __init__(self) -> None:
        self._seen: set[tuple[str, str]] = set()

    async def seen(self, sink: str, alert_id: str) -> bool:
        return (sink, alert_id) in self._seen

    async def mark(self, sink: str, alert_id: str) -> bool:
        new = (sink, alert_id) not in self._seen
        self._seen.add((sink, alert_id))
        return new


class UndeliveredAlert(msgspec.Struct, frozen=True, kw_only=True):
    """A dead-lettered delivery: the alert, the sink, the attempts made and the last error."""

    alert: Alert
    alert_id: str
    sink: str
    attempts: int
    error: str


class Route(msgspec.Struct, frozen=True):
    """A subscription and the sink it delivers to."""

    subscription: AlertSubscription
    sink: Sink


class Dispatcher:
    """Delivers alerts to routes; see the module docstring.

    Parameters
    ----------
    routes : list of Route
        Subscriptions with their sinks.
    config : AlertsConfig
        Attempts, backoff, jitter, breaker settings, dead-letter path.
    delivered : DeliveryLog, optional
        Defaults to an in-memory log.
    clock, sleep, rng : callables
        Monotonic seconds, async sleep and ``random()``; tests pass fakes.
    worker : str
        The ``worker`` label of the metrics.
    """

    def __init__(
        self,
        routes: list[Route],
        config: AlertsConfig,
        *,
        delivered: DeliveryLog | None = None,
        dead_letter_path: Path | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: Callable[[], float] = random.random,
        worker: str = "alerts",
    ) -> None:
        self.routes = routes
        self.config = config
        self.delivered = delivered or MemoryDeliveryLog()
        self.dead_letter_path = dead_letter_path or Path(config.dead_letter_path)
        self.breakers = {
            r.sink.name: CircuitBreaker(config.breaker_failures, config.breaker_reset_s) for r in routes
        }
        self.counts: Counter = Counter()
        self._clock, self._sleep, self._rng = clock, sleep, rng
        self.worker = worker

    async def deliver(self, alert: Alert) -> dict[str, str]:
        """Deliver to every matching route.

        Returns
        -------
        dict[str, str]
            Sink name to ``delivered``, ``already`` or ``dead_lettered``.
        """
        ident = alert_id(alert)
        targets = [r for r in self.routes if matches(r.subscription, alert)]
        outcomes = await asyncio.gather(*(self._deliver_one(r.sink, alert, ident) for r in targets))
        return {r.sink.name: o for r, o in zip(targets, outcomes, strict=True)}

    def _count(self, sink: str, outcome: str) -> None:
        self.counts[f"{sink}:{outcome}"] += 1
        ALERT_SINK_OUTCOMES.labels(self.worker, sink, outcome).inc()

    async def _seen(self, sink: str, ident: str) -> bool:
        try:
            return await self.delivered.seen(sink, ident)
        except (RedisError, OSError) as e:
            self._count(sink, "log_unavailable")
            log.warning("alert_delivery_log_unavailable", sink=sink, alert_id=ident, error=str(e))
            return False  # a possible repeat rather than a lost alert

    async def _record(self, sink: str, ident: str) -> None:
        """Record a delivery, retrying with backoff; the alert is acknowledged only after this returns."""
        error = ""
        for attempt in range(1, self.config.max_attempts + 1):
            try:
                if not await self.delivered.mark(sink, ident):
                    self._count(sink, "recorded_before")  # another instance delivered it meanwhile
                return
            except (RedisError, OSError) as e:
                error = str(e)
                if attempt < self.config.max_attempts:
                    await self._sleep(
                        backoff_delay(
                            attempt,
                            base_s=self.config.backoff_base_s,
                            max_s=self.config.backoff_max_s,
                            jitter=self.config.jitter,
                            random=self._rng,
                        )
                    )
        self._count(sink, "record_failed")
        log.error("alert_record_failed", sink=sink, alert_id=ident, error=error)

    async def _deliver_one(self, sink: Sink, alert: Alert, ident: str) -> str:
        if await self._seen(sink.name, ident):
            self._count(sink.name, "already")
            return "already"
        breaker = self.breakers[sink.name]
        error = ""
        attempt = 0
        for attempt in range(1, self.config.max_attempts + 1):
            retry_after = None
            if not breaker.allow(self._clock()):
                error = "circuit open"
                self._count(sink.name, "circuit_open")
            else:
                try:
                    await sink.send(alert, ident)
                except SinkRateLimitedError as e:
                    self._count(sink.name, "rate_limited")
                    error, retry_after = str(e), e.retry_after
                except SinkTemporaryError as e:
                    breaker.record_failure(self._clock())
                    self._count(sink.name, "failed")
                    error, retry_after = str(e), e.retry_after
                except SinkError as e:
                    breaker.record_failure(self._clock())
                    self._count(sink.name, "failed")
                    error = str(e)
                    break
                else:
                    breaker.record_success()
                    answered = time.perf_counter()  # wall time for the metric only
                    await self._record(sink.name, ident)
                    record_s = time.perf_counter() - answered
                    ALERT_RECORD_SECONDS.labels(self.worker, sink.name).observe(record_s)
                    self._count(sink.name, "delivered")
                    log.info(
                        "alert_delivered",
                        sink=sink.name,
                        alert_id=ident,
                        attempts=attempt,
                        record_ms=round(record_s * 1000, 3),
                    )
                    return "delivered"
            if attempt < self.config.max_attempts:
                delay = backoff_delay(
                    attempt,
                    base_s=self.config.backoff_base_s,
                    max_s=self.config.backoff_max_s,
                    jitter=self.config.jitter,
                    random=self._rng,
                )
                await self._sleep(max(delay, retry_after or 0.0))
        self._dead_letter(
            UndeliveredAlert(alert=alert, alert_id=ident, sink=sink.name, attempts=attempt, error=error)
        )
        await self._record(sink.name, ident)
        return "dead_lettered"

    def _dead_letter(self, item: UndeliveredAlert) -> None:
        self._count(item.sink, "dead_lettered")
        log.warning(
            "alert_dead_lettered",
            sink=item.sink,
            alert_id=item.alert_id,
            code=item.alert.code,
            attempts=item.attempts,
            error=item.error,
        )
        self.dead_letter_path.parent.mkdir(parents=True, exist_ok=True)
        with self.dead_letter_path.open("ab") as f:
            f.write(msgspec.json.encode(item) + b"\n")
