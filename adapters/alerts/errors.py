"""Errors of the alert sinks: temporary (retry, maybe after ``retry_after``) or permanent."""

from __future__ import annotations

from adapters.errors import AdapterError


class SinkError(AdapterError):
    """A delivery that failed and will not succeed if repeated (bad URL, 4xx other than 429, bad token)."""


class SinkTemporaryError(SinkError):
    """A delivery that may succeed later (timeout, connection refused, 5xx, 429).

    Parameters
    ----------
    message
        What went wrong.
    retry_after
        Seconds the receiver asked us to wait (Telegram's ``parameters.retry_after``, HTTP ``Retry-After``).
    """

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class SinkRateLimitedError(SinkTemporaryError):
    """The receiver answered HTTP 429 (Telegram: ``error_code`` 429 with ``parameters.retry_after``): it is
    up but throttling us, so the delivery waits ``retry_after`` and does not count against the breaker."""
