"""Which escalation requests were already handled, in Redis, so a redelivered request (faust after a
rebalance, a restarted worker) never spends another GPT-5 call.

``claim`` takes a request with ``SET NX`` (one worker wins); ``record`` stores the outcome the worker
published; on redelivery the stored outcome is published again instead of asking a model again (the
update's version id is deterministic, so the node recognises it). A claim without an outcome expires after
``claim_ttl_s``, so a worker that died mid-request does not block the request for ever.
"""

from __future__ import annotations

import redis
import redis.exceptions

from adapters.state.redis_store import redact_url
from engine.escalation.errors import BudgetUnavailableError

OUTCOME_TTL_S = 7 * 86_400


class RedisRequestLog:
    """Claims and outcomes of escalation requests.

    Parameters
    ----------
    url : str
        Redis URL.
    key_prefix : str
        Prefix of every key.
    claim_ttl_s : float
        How long a claim without an outcome holds (longer than both model timeouts together).
    """

    def __init__(self, url: str, key_prefix: str, *, claim_ttl_s: float = 600.0) -> None:
        self._url = url
        self._prefix = f"{key_prefix}escalation:"
        self._claim_ttl = max(1, int(claim_ttl_s))
        self._redis = redis.Redis.from_url(url, socket_connect_timeout=2.0, socket_timeout=5.0)

    def _call(self, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except redis.exceptions.RedisError as e:
            raise BudgetUnavailableError(f"escalation request log at {redact_url(self._url)}: {e}") from e

    def outcome(self, request_id: str) -> bytes | None:
        """The recorded outcome of ``request_id``, if any."""
        return self._call(self._redis.get, f"{self._prefix}outcome:{request_id}")

    def claim(self, request_id: str) -> bool:
        """Take ``request_id`` for this worker; ``False`` if another worker holds it or it is done."""
        return bool(
            self._call(
                self._redis.set, f"{self._prefix}claim:{request_id}", b"1", nx=True, ex=self._claim_ttl
            )
        )

    def record(self, request_id: str, outcome: bytes) -> None:
        """Store the outcome published for ``request_id``."""
        self._call(self._redis.set, f"{self._prefix}outcome:{request_id}", outcome, ex=OUTCOME_TTL_S)

    def close(self) -> None:
        """Close the connection pool."""
        self._redis.close()
