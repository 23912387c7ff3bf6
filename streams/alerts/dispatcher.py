"""Deliver one alert to every matching subscriber, concurrently, with retries, a breaker per sink, and a
dead-letter file for what still fails. A failing or slow sink delays only its own deliveries.

Idempotency: a :class:`DeliveryLog` remembers ``(sink, alert id)`` pairs delivered, so an alert the broker
redelivers after a crash or a rebalance is not sent twice to a sink that already has it.
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

from adapters.alerts.errors import SinkError, SinkTemporaryError
from engine.config import AlertsConfig, AlertSubscription
from schemas.alerts import Alert
from streams.alerts.routing import CircuitBreaker, alert_id, backoff_delay, matches

log = structlog.get_logger("aureus.alerts")


class Sink(Protocol):
    """An alert destination."""

    name: str

    async def send(self, alert: Alert, alert_id: str) -> None: ...


class DeliveryLog(Protocol):
    """Which alerts each sink already received."""

    async def seen(self, sink: str, alert_id: str) -> bool: ...

    async def mark(self, sink: str, alert_id: str) -> None: ...


class MemoryDeliveryLog:
    """In-process :class:`DeliveryLog` (one-shot CLI subscribers, unit tests)."""

    def __init__(self) -> None:
        self._seen: set[tuple[str, str]] = set()

    async def seen(self, sink: str, alert_id: str) -> bool:
        return (sink, alert_id) in self._seen

    async def mark(self, sink: str, alert_id: str) -> None:
        self._seen.add((sink, alert_id))


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

    async def _deliver_one(self, sink: Sink, alert: Alert, ident: str) -> str:
        if await self.delivered.seen(sink.name, ident):
            self.counts[f"{sink.name}:already"] += 1
            return "already"
        breaker = self.breakers[sink.name]
        error = ""
        attempt = 0
        for attempt in range(1, self.config.max_attempts + 1):
            retry_after = None
            if not breaker.allow(self._clock()):
                error = "circuit open"
            else:
                try:
                    await sink.send(alert, ident)
                except SinkTemporaryError as e:
                    breaker.record_failure(self._clock())
                    error, retry_after = str(e), e.retry_after
                except SinkError as e:
                    breaker.record_failure(self._clock())
                    error = str(e)
                    break
                else:
                    breaker.record_success()
                    await self.delivered.mark(sink.name, ident)
                    self.counts[f"{sink.name}:delivered"] += 1
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
        await self.delivered.mark(sink.name, ident)
        return "dead_lettered"

    def _dead_letter(self, item: UndeliveredAlert) -> None:
        self.counts[f"{item.sink}:dead_lettered"] += 1
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
