"""Redis-backed :class:`~engine.state.StateStore` for the daemon (sync ``redis`` client).

One Redis string per key, named ``key_prefix + key``. ``SET`` and ``GET`` are atomic per key, so a reader
sees the old or the new document, never a mix. Redis exceptions are translated here, at the edge:
connection problems and timeouts become the retryable
:class:`~engine.errors.StateStoreUnavailableError`, anything else :class:`~engine.errors.StateStoreError`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import redis
import redis.exceptions

from engine.errors import StateStoreError, StateStoreUnavailableError
from engine.state import stale, validate_key

DEFAULT_CONNECT_TIMEOUT_S = 2.0
DEFAULT_SOCKET_TIMEOUT_S = 5.0

_T = TypeVar("_T")

_CAS_SCRIPT = """
local current = redis.call('GET', KEYS[1])
if ARGV[1] == '1' then
  if current then return {0, current} end
else
  if not current then return {0} end
  if current ~= ARGV[2] then return {0, current} end
end
redis.call('SET', KEYS[1], ARGV[3])
return {1}
"""
"""Compare-and-set in one server-side step: ARGV = (expect-absent flag, expected value, new value)."""


def redact_url(url: str) -> str:
    """``url`` without its password, for messages and logs."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable Redis URL>"
    if parts.password is None:
        return url
    netloc = f"{parts.username or ''}:***@{parts.hostname or ''}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


class RedisStateStore:
    """A :class:`~engine.state.StateStore` on a Redis server.

    Parameters
    ----------
    url : str
        ``redis://host:port/db`` (any URL :meth:`redis.Redis.from_url` accepts).
    key_prefix : str
        Prepended to every key (``"aureus:"`` by default in the config), so several nodes, or a test
        run, can share one database.
    connect_timeout_s, socket_timeout_s : float
        Socket timeouts; a store that does not answer in time raises
        :class:`~engine.errors.StateStoreUnavailableError` instead of blocking the engine.

    Notes
    -----
    The constructor does not contact the server; the first call does. Use :meth:`ping` to check at start.
    """

    def __init__(
        self,
        url: str,
        key_prefix: str,
        *,
        connect_timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S,
        socket_timeout_s: float = DEFAULT_SOCKET_TIMEOUT_S,
    ) -> None:
        self.url = redact_url(url)
        self.key_prefix = key_prefix
        try:
            self._client = redis.Redis.from_url(
                url, socket_connect_timeout=connect_timeout_s, socket_timeout=socket_timeout_s
            )
        except (ValueError, redis.exceptions.RedisError) as e:
            raise StateStoreError(f"invalid Redis URL {self.url!r}: {e}") from e
        self._cas = self._client.register_script(_CAS_SCRIPT)
        self._closed = False

    def redis_key(self, key: str) -> str:
        """The Redis key that holds ``key`` (validated, then prefixed)."""
        return self.key_prefix + validate_key(key)

    def _call(self, what: str, key: str, fn: Callable[..., _T], *args: Any) -> _T:
        if self._closed:
            raise StateStoreError(f"Redis state store {self.url} is closed")
        try:
            return fn(*args)
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as e:
            raise StateStoreUnavailableError(
                f"Redis {self.url} unavailable to {what} state key {key!r}: {e}"
            ) from e
        except redis.exceptions.RedisError as e:
            raise StateStoreError(f"Redis {self.url} failed to {what} state key {key!r}: {e}") from e

    def ping(self) -> None:
        """Check that the server answers.

        Raises
        ------
        StateStoreUnavailableError
            No answer (connection refused, timeout).
        """
        self._call("ping for", "", self._client.ping)

    def get(self, key: str) -> bytes | None:
        """The bytes stored under ``key``, or ``None`` when Redis has no such key."""
        value = self._call("read", key, self._client.get, self.redis_key(key))
        if value is not None and not isinstance(value, bytes):
            raise StateStoreError(f"Redis state key {key!r} holds {type(value).__name__}, expected bytes")
        return value

    def put(self, key: str, value: bytes) -> None:
        """``SET`` the whole value of ``key`` (atomic)."""
        self._call("write", key, self._client.set, self.redis_key(key), bytes(value))

    def compare_and_set(self, key: str, expected: bytes | None, value: bytes) -> None:
        """``SET`` ``key`` to ``value`` only if it holds ``expected`` (``None``: absent), in one Lua script.

        Raises
        ------
        StaleStateError
            The key holds something else; nothing was written.
        """
        args = [
            b"1" if expected is None else b"0",
            b"" if expected is None else bytes(expected),
            bytes(value),
        ]
        result = self._call("write", key, self._cas, [self.redis_key(key)], args)
        if result[0] != 1:
            raise stale(key, expected, result[1] if len(result) > 1 else None)

    def delete(self, key: str) -> None:
        """``DEL`` ``key``; a missing key is not an error."""
        self._call("delete", key, self._client.delete, self.redis_key(key))

    def close(self) -> None:
        """Close the connection pool; later calls raise :class:`~engine.errors.StateStoreError`."""
        if not self._closed:
            self._closed = True
            self._client.close()
