"""Pure parts of alert delivery: subscription matching, backoff with jitter, and a circuit breaker.

Time enters only as arguments (``now`` in seconds from any monotonic clock) and randomness only through
the ``random`` callable, so every rule is tested without sleeping.
"""

from __future__ import annotations

import fnmatch
import hashlib
from collections.abc import Callable
from typing import Literal

from engine.config import AlertSubscription
from schemas.alerts import Alert
from schemas.codec import encode

SEVERITY_RANK = {"info": 0, "warning": 1, "critical": 2}


def matches(subscription: AlertSubscription, alert: Alert) -> bool:
    """Whether ``alert`` is at or above the subscription's severity, its code matches a pattern, and it
    carries one of the subscription's topic tags (when it names any)."""
    if SEVERITY_RANK[alert.severity] < SEVERITY_RANK[subscription.severity]:
        return False
    if subscription.topics and not set(subscription.topics) & set(alert.tags):
        return False
    return any(fnmatch.fnmatchcase(alert.code, pattern) for pattern in subscription.codes)


def alert_id(alert: Alert) -> str:
    """Stable id of an alert (sha256 of its canonical bytes, 24 hex digits): the delivery idempotency key."""
    return hashlib.sha256(encode("alerts", alert)).hexdigest()[:24]


def backoff_delay(
    attempt: int, *, base_s: float, max_s: float, jitter: float, random: Callable[[], float]
) -> float:
    """Seconds to wait before retry number ``attempt`` (1 = first retry).

    Exponential ``base_s * 2**(attempt - 1)`` capped at ``max_s``, then shortened by up to ``jitter`` of
    itself (``random()`` in [0, 1)) so many failing deliveries do not retry in lockstep.
    """
    delay = min(max_s, base_s * 2.0 ** (attempt - 1))
    return delay * (1.0 - jitter * random())


class CircuitBreaker:
    """Stops calling a sink after ``failures`` consecutive failures, for ``reset_s``; then lets one call
    through (half-open): success closes the circuit, failure opens it again.
    """

    def __init__(self, failures: int, reset_s: float) -> None:
        self.failures = failures
        self.reset_s = reset_s
        self._consecutive = 0
        self._opened_at: float | None = None

    def state(self, now: float) -> Literal["closed", "open", "half_open"]:
        """Current state at time ``now``."""
        if self._opened_at is None:
            return "closed"
        return "half_open" if now - self._opened_at >= self.reset_s else "open"

    def allow(self, now: float) -> bool:
        """Whether a call may go out now."""
        return self.state(now) != "open"

    def wait_s(self, now: float) -> float:
        """Seconds until a call may go out (0 when allowed)."""
        if self._opened_at is None:
            return 0.0
        return max(0.0, self.reset_s - (now - self._opened_at))

    def record_success(self) -> None:
        """A call succeeded: close the circuit."""
        self._consecutive = 0
        self._opened_at = None

    def record_failure(self, now: float) -> None:
        """A call failed: open the circuit at the threshold, or again after a failed half-open call."""
        self._consecutive += 1
        if self._consecutive >= self.failures or self._opened_at is not None:
            self._opened_at = now
