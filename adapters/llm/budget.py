"""The GPT-5 call budget per UTC day, counted atomically in Redis across workers and restarts.

One Redis integer per day (``{prefix}llm_budget:gpt5:{YYYY-MM-DD}``). A Lua script reads, compares and
increments in one step, so two workers racing for the last call cannot both get it; the key expires two
days after its first call.
"""

from __future__ import annotations

import redis
import redis.exceptions

from adapters.state.redis_store import redact_url
from engine.escalation.errors import BudgetUnavailableError

_ACQUIRE = """
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
if used >= tonumber(ARGV[1]) then
  return -1
end
used = redis.call('INCR', KEYS[1])
if used == 1 then
  redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2]))
end
return used
"""

KEY_TTL_S = 2 * 86_400


class RedisCallBudget:
    """:class:`~engine.escalation.ports.CallBudget` in Redis.

    Parameters
    ----------
    url : str
        Redis URL (``store.redis_url`` / ``AUREUS_REDIS_URL``).
    key_prefix : str
        Prefix of every key (``aureus:``; tests use their own).
    limit : int
        Calls per UTC day (``escalation.gpt5_calls_per_day``).
    name : str
        Which budget (``gpt5``).
    """

    def __init__(self, url: str, key_prefix: str, limit: int, *, name: str = "gpt5") -> None:
        self.limit = limit
        self._url = url
        self._prefix = f"{key_prefix}llm_budget:{name}:"
        try:
            self._redis = redis.Redis.from_url(url, socket_connect_timeout=2.0, socket_timeout=5.0)
        except ValueError as e:
            raise BudgetUnavailableError(f"invalid Redis URL {redact_url(url)}: {e}") from e
        self._script = self._redis.register_script(_ACQUIRE)

    def key(self, day: str) -> str:
        """The Redis key of ``day``'s counter."""
        return self._prefix + day

    def acquire(self, day: str) -> int | None:
        """Take one call of ``day``: its number (1..limit), or ``None`` when the day's calls are spent."""
        try:
            used = int(self._script(keys=[self.key(day)], args=[self.limit, KEY_TTL_S]))
        except redis.exceptions.RedisError as e:
            raise BudgetUnavailableError(f"GPT-5 budget at {redact_url(self._url)}: {e}") from e
        return None if used < 0 else used

    def used(self, day: str) -> int:
        """Calls taken on ``day``."""
        try:
            value = self._redis.get(self.key(day))
        except redis.exceptions.RedisError as e:
            raise BudgetUnavailableError(f"GPT-5 budget at {redact_url(self._url)}: {e}") from e
        return int(value or 0)

    def close(self) -> None:
        """Close the connection pool."""
        self._redis.close()
