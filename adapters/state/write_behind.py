"""A store that keeps writes in memory until :meth:`WriteBehindStore.sync`: replay's state store.

A replay's run directory is committed only once the run completed, so the state it writes on the way (the
risk state at every day roll, ~1 ms a write inside a BTCUSDT run) is never read back by anyone before the
end: this wrapper serves reads from what was written, and :meth:`sync` writes each changed key once, with
a compare-and-set against the value read at first use, so a second writer of the same directory during the
run is still refused (:class:`~engine.errors.StaleStateError`) instead of overwritten. A run that fails
before :meth:`sync` leaves the directory as it found it. The daemon writes through its durable store.
"""

from __future__ import annotations

from engine.errors import StateStoreError
from engine.state import StateStore, VersionedStateStore, stale, validate_key

_UNREAD = object()


class WriteBehindStore:
    """A :class:`~engine.state.VersionedStateStore` over ``inner`` whose writes reach ``inner`` at
    :meth:`sync` (each changed key once, in key order), then ``inner.sync()`` when it has one."""

    def __init__(self, inner: StateStore) -> None:
        self.inner = inner
        self._values: dict[str, bytes | None] = {}  # what this store holds now, per key used
        self._base: dict[str, bytes | None] = {}  # what ``inner`` held when the key was first used
        self._closed = False

    def _current(self, key: str) -> bytes | None:
        if self._closed:
            raise StateStoreError("write-behind state store is closed")
        value = self._values.get(key, _UNREAD)
        if value is _UNREAD:
            value = self._values[key] = self._base[key] = self.inner.get(validate_key(key))
        return value

    def get(self, key: str) -> bytes | None:
        """The value under ``key``: the last one written here, or ``inner``'s."""
        return self._current(key)

    def put(self, key: str, value: bytes) -> None:
        """Hold ``value`` for ``key`` until :meth:`sync`."""
        self._current(key)
        self._values[key] = bytes(value)

    def compare_and_set(self, key: str, expected: bytes | None, value: bytes) -> None:
        """Hold ``value`` if ``key`` holds ``expected`` here; else :class:`~engine.errors.StaleStateError`."""
        found = self._current(key)
        if found != expected:
            raise stale(key, expected, found)
        self._values[key] = bytes(value)

    def delete(self, key: str) -> None:
        """Hold the removal of ``key`` until :meth:`sync`."""
        self._current(key)
        self._values[key] = None

    def sync(self) -> None:
        """Write every changed key to ``inner`` (compare-and-set against its first-read value where ``inner``
        supports it), then make ``inner`` durable."""
        if self._closed:
            raise StateStoreError("write-behind state store is closed")
        for key in sorted(self._values):
            value, base = self._values[key], self._base[key]
            if value == base:
                continue
            if value is None:
                self.inner.delete(key)
            elif isinstance(self.inner, VersionedStateStore):
                self.inner.compare_and_set(key, base, value)
            else:
                self.inner.put(key, value)
            self._base[key] = value
        sync = getattr(self.inner, "sync", None)
        if sync is not None:
            sync()

    def close(self) -> None:
        """Close this store and ``inner`` (unsynced writes are dropped: call :meth:`sync` first)."""
        self._closed = True
        self.inner.close()
