"""Embedded, file-backed :class:`~engine.state.StateStore`: one file per key under a root directory.

A ``put`` writes the value to a temporary file in the same directory, flushes and fsyncs it, renames it
over the key's file with :func:`os.replace` (atomic on POSIX) and fsyncs the directory, so a reader (or a
process restarted after a crash) sees the old value or the new one, never a torn write. A store opened
with ``durable=False`` (replay) skips the fsyncs: a killed process still leaves the old value or the new one
(the rename is atomic), only an OS crash or power loss may lose recent writes; :meth:`sync` makes them
durable at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from pathlib import Path

from engine.errors import StateStoreError
from engine.state import stale, validate_key

_SUFFIX = ".state"
_TMP_PREFIX = ".tmp-"


class EmbeddedFileStore:
    """A :class:`~engine.state.StateStore` keeping each key in ``root/<key>.state``.

    Parameters
    ----------
    root : Path
        Directory of the store; created (with parents) when missing.
    durable : bool
        fsync each write and the directory (the daemon). ``False``: atomic writes without fsync, made
        durable by :meth:`sync` (replay, whose run directory is committed only once the run completed).

    Raises
    ------
    StateStoreError
        ``root`` exists and is not a directory, or cannot be created.
    """

    def __init__(self, root: Path, *, durable: bool = True) -> None:
        self.root = Path(root)
        self.durable = durable
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StateStoreError(f"cannot create state directory {self.root}: {e}") from e
        if not self.root.is_dir():
            raise StateStoreError(f"state path {self.root} is not a directory")
        self._closed = False

    def path_for(self, key: str) -> Path:
        """The file that holds ``key`` (the key is validated first).

        Raises
        ------
        StateStoreError
            Invalid key (path separator, ``..``, characters outside ``[A-Za-z0-9._:-]``).
        """
        return self.root / (validate_key(key) + _SUFFIX)

    def _check_open(self) -> None:
        if self._closed:
            raise StateStoreError(f"state store {self.root} is closed")

    def get(self, key: str) -> bytes | None:
        """The bytes stored under ``key``, or ``None`` when the key has no file."""
        self._check_open()
        path = self.path_for(key)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as e:
            raise StateStoreError(f"cannot read state key {key!r} from {path}: {e}") from e

    def put(self, key: str, value: bytes) -> None:
        """Replace the value of ``key`` atomically and durably (temp file, fsync, rename, fsync dir).

        A crash before the rename leaves only a ``.tmp-<key>-*`` file behind, never visible as a value.
        """
        self._check_open()
        path = self.path_for(key)
        fd, tmp_name = -1, ""
        try:
            fd, tmp_name = tempfile.mkstemp(prefix=f"{_TMP_PREFIX}{key}-", dir=self.root)
            with os.fdopen(fd, "wb") as handle:
                fd = -1  # owned by the file object from here on
                handle.write(value)
                handle.flush()
                if self.durable:
                    os.fsync(handle.fileno())
            os.replace(tmp_name, path)
            tmp_name = ""
            if self.durable:
                self._fsync_dir()
        except OSError as e:
            raise StateStoreError(f"cannot write state key {key!r} to {path}: {e}") from e
        finally:
            if fd >= 0:
                os.close(fd)
            if tmp_name:
                with contextlib.suppress(OSError):
                    os.unlink(tmp_name)

    def compare_and_set(self, key: str, expected: bytes | None, value: bytes) -> None:
        """Replace ``key`` with ``value`` only if it holds ``expected`` (``None``: no file), atomically.

        Writers (threads or processes) of the same key serialise on an exclusive ``flock`` of a lock file
        next to it, so the read, the comparison and the rename happen as one step.

        Raises
        ------
        StaleStateError
            The key holds something else; nothing was written.
        """
        self._check_open()
        lock_path = self.root / f"{_TMP_PREFIX}lock-{validate_key(key)}"
        try:
            with lock_path.open("a") as lock:
                fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
                found = self.get(key)
                if found != expected:
                    raise stale(key, expected, found)
                self.put(key, value)
        except OSError as e:
            raise StateStoreError(f"cannot lock state key {key!r} ({lock_path}): {e}") from e

    def delete(self, key: str) -> None:
        """Remove the file of ``key``; a missing key is not an error."""
        self._check_open()
        path = self.path_for(key)
        try:
            path.unlink(missing_ok=True)
            if self.durable:
                self._fsync_dir()
        except OSError as e:
            raise StateStoreError(f"cannot delete state key {key!r} ({path}): {e}") from e

    def sync(self) -> None:
        """fsync every key's file and the directory (what a ``durable=False`` store skipped so far)."""
        self._check_open()
        try:
            for path in sorted(self.root.glob(f"*{_SUFFIX}")):
                fd = os.open(path, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
            self._fsync_dir()
        except OSError as e:
            raise StateStoreError(f"cannot sync state directory {self.root}: {e}") from e

    def close(self) -> None:
        """Mark the store closed (there is nothing to release: every call opens and closes its file)."""
        self._closed = True

    def _fsync_dir(self) -> None:
        dir_fd = os.open(self.root, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
