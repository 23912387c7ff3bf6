"""The one store interface for state that must survive a restart (DESIGN.md "Time, determinism, state").

The kill-switch day, quarantine calendar, LLM call budget, policy version and committed offsets are
each kept as one document (bytes) under one key. Implementations live in ``adapters/state`` (an embedded
file store for local runs, Redis for the daemon); :class:`MemoryStateStore` here is for unit tests of pure
logic and for runs that need nothing to outlive the process.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from engine.errors import StaleStateError, StateStoreError

MAX_KEY_LENGTH = 200
"""Longest key any store accepts."""

_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-:")


def validate_key(key: str) -> str:
    """Check a state key: 1 to :data:`MAX_KEY_LENGTH` characters of ``[A-Za-z0-9._:-]``, starting with a
    letter or digit, without ``..``.

    Every store applies the same rule, so a key that works with one backend works with all of them.

    Parameters
    ----------
    key : str
        The key, e.g. ``"risk"`` or ``"llm_budget:2025-10-05"``.

    Returns
    -------
    str
        The key, unchanged.

    Raises
    ------
    StateStoreError
        Empty, too long, a path separator, ``..``, a leading ``.``/``-``/``:``/``_`` or any other character
        outside the set above.
    """
    if not isinstance(key, str) or not key:
        raise StateStoreError(f"state key must be a non-empty string, got {key!r}")
    if len(key) > MAX_KEY_LENGTH:
        raise StateStoreError(f"state key longer than {MAX_KEY_LENGTH} characters: {key[:40]!r}...")
    if "/" in key or "\\" in key or ".." in key:
        raise StateStoreError(f"state key {key!r} must not contain a path separator or '..'")
    bad = sorted({c for c in key if c not in _KEY_CHARS})
    if bad:
        raise StateStoreError(f"state key {key!r} has characters outside [A-Za-z0-9._:-]: {bad!r}")
    if not key[0].isalnum():
        raise StateStoreError(f"state key {key!r} must start with a letter or digit")
    return key


@runtime_checkable
class StateStore(Protocol):
    """Key to bytes, with atomic whole-value writes.

    A reader sees either the old or the new value of a key, never a mix; a ``put`` that returned is
    durable as far as the backend allows (fsync for files, the server's persistence for Redis). Every
    method raises :class:`~engine.errors.StateStoreError` (or its retryable subclass
    :class:`~engine.errors.StateStoreUnavailableError`) on failure and on an invalid key.
    """

    def get(self, key: str) -> bytes | None:
        """The value stored under ``key``, or ``None`` when there is none."""
        ...

    def put(self, key: str, value: bytes) -> None:
        """Store ``value`` under ``key``, replacing any previous value atomically."""
        ...

    def delete(self, key: str) -> None:
        """Remove ``key``; removing a missing key is not an error."""
        ...

    def close(self) -> None:
        """Release the store's resources; later calls raise :class:`~engine.errors.StateStoreError`."""
        ...


@runtime_checkable
class VersionedStateStore(StateStore, Protocol):
    """A :class:`StateStore` that can also write a key only if it still holds what the writer read."""

    def compare_and_set(self, key: str, expected: bytes | None, value: bytes) -> None:
        """Store ``value`` under ``key`` atomically if it holds exactly ``expected`` (``None``: no value).

        Raises
        ------
        StaleStateError
            The key holds something else (another writer got there first); nothing was written.
        """
        ...


def stale(key: str, expected: bytes | None, found: bytes | None) -> StaleStateError:
    """The error of a compare-and-set that found ``found`` instead of ``expected``."""
    what = "no value" if found is None else f"{len(found)} other bytes"
    base = "no value" if expected is None else "the value it read"
    return StaleStateError(
        f"state key {key!r} changed since it was read (expected {base}, found {what}): another writer; "
        "not overwritten"
    )


class MemoryStateStore:
    """A :class:`StateStore` in a dict: for unit tests of pure logic and throw-away runs.

    Values are copied in and out as immutable ``bytes``, so a caller can never change a stored value.
    ``puts`` counts successful writes (tests use it to check that state is persisted once per change).
    """

    def __init__(self) -> None:
        self._data: dict[str, bytes] = {}
        self._closed = False
        self.puts = 0

    def _check(self, key: str) -> str:
        if self._closed:
            raise StateStoreError("memory state store is closed")
        return validate_key(key)

    def get(self, key: str) -> bytes | None:
        """The value under ``key`` or ``None``."""
        return self._data.get(self._check(key))

    def put(self, key: str, value: bytes) -> None:
        """Store a copy of ``value`` under ``key``."""
        self._data[self._check(key)] = bytes(value)
        self.puts += 1

    def compare_and_set(self, key: str, expected: bytes | None, value: bytes) -> None:
        """Store ``value`` if ``key`` holds ``expected``; else :class:`~engine.errors.StaleStateError`."""
        found = self._data.get(self._check(key))
        if found != expected:
            raise stale(key, expected, found)
        self.put(key, value)

    def delete(self, key: str) -> None:
        """Remove ``key`` if present."""
        self._data.pop(self._check(key), None)

    def keys(self) -> list[str]:
        """The stored keys, sorted (tests and diagnostics)."""
        return sorted(self._data)

    def close(self) -> None:
        """Mark the store closed; the data is kept for a test to inspect through :meth:`reopen`."""
        self._closed = True

    def reopen(self) -> MemoryStateStore:
        """A new open store over the same data, as a restarted process would see it."""
        other = MemoryStateStore()
        other._data = self._data
        return other
