"""Errors of the Kafka adapter, rooted in :class:`adapters.errors.AdapterError`.

aiokafka's exceptions are translated here at the edge (``raise ... from e``): a broker that cannot be
reached is temporary (:class:`KafkaUnavailableError`, carries ``retry_after``); a misconfiguration is not.
"""

from __future__ import annotations

from adapters.errors import AdapterError


class KafkaAdapterError(AdapterError):
    """Root of the Kafka adapter's errors."""


class KafkaConfigError(KafkaAdapterError):
    """A Kafka client configured with something it cannot use (unknown topic, no instruments)."""


class KafkaUnavailableError(KafkaAdapterError):
    """The broker did not answer; retrying later may succeed."""

    def __init__(self, message: str, *, retry_after: float = 1.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after
