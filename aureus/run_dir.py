"""The replay's ``--out`` as one complete run or the previous one, never a mix; one writer at a time.

``OUT`` is a symbolic link to a run directory ``.OUT.runs/<id>`` next to it. A run writes into a fresh
run directory, writes ``complete.json`` (``{"complete": true}``) last, and then replaces the link in one
``rename`` (atomic on POSIX), so a reader of ``OUT/...`` sees the old run or the new one, whatever point
a crash or a SIGKILL hits. A failed run leaves ``OUT`` (its report and its risk state) untouched.

An exclusive ``flock`` on ``.OUT.lock`` refuses a second run into the same ``OUT`` while one is going;
the kernel drops the lock when the process dies, so a killed run never blocks the next. Run directories
a killed run left behind are removed by the next run, under the lock.

A real directory at ``OUT`` (from an older version) is adopted: moved into ``.OUT.runs/`` and linked, but
only when it looks like replay output (``report.json``, ``state/`` or empty), so a mistyped ``--out $HOME``
is refused instead of moved.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
from pathlib import Path
from types import TracebackType

from schemas.errors import AureusError

COMPLETE_FILE = "complete.json"
_RUN_FILES = {"report.json", "trades.jsonl", "equity.csv", "equity.png", "risk_events.jsonl", "state",
              "decisions.jsonl", COMPLETE_FILE}  # fmt: skip


class RunDirectoryError(AureusError):
    """``--out`` cannot take a run: locked by another run, or it is not a replay output directory."""


def _runs_dir(out: Path) -> Path:
    return out.parent / f".{out.name}.runs"


def _lock_path(out: Path) -> Path:
    return out.parent / f".{out.name}.lock"


class RunDirectory:
    """Context manager around one run's output directory.

    Parameters
    ----------
    out
        The ``--out`` path readers use.

    Examples
    --------
    >>> with RunDirectory(Path("runs/latest")) as run:
    ...     write_outputs(run.path)   # files go to the new run directory
    ...     run.commit()              # complete.json, then OUT points to it
    """

    def __init__(self, out: Path) -> None:
        self.out = Path(out)
        self.path: Path | None = None
        self.previous: Path | None = None
        self._lock_fd: int | None = None
        self._committed = False

    def __enter__(self) -> RunDirectory:
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self._lock()
        try:
            self._adopt_plain_directory()
            self.previous = self.out.resolve() if self.out.is_symlink() else None
            self._remove_stale_runs()
            runs = _runs_dir(self.out)
            runs.mkdir(exist_ok=True)
            # the wall clock only names the directory; nothing in a run's outputs depends on it
            self.path = runs / f"run-{time.time_ns()}-{os.getpid()}"
            self.path.mkdir()
        except BaseException:
            self._unlock()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if not self._committed and self.path is not None:
                shutil.rmtree(self.path, ignore_errors=True)
        finally:
            self._unlock()

    @property
    def state_dir(self) -> Path:
        """``state/`` inside the new run directory."""
        assert self.path is not None
        return self.path / "state"

    def copy_previous_state(self) -> None:
        """Start the new run's ``state/`` as a copy of the previous run's (the previous one is kept)."""
        if self.previous is not None and (self.previous / "state").is_dir():
            shutil.copytree(self.previous / "state", self.state_dir)

    def commit(self, **marker: object) -> None:
        """Write ``complete.json`` (``complete: true`` plus ``marker``) and point ``OUT`` at this run."""
        assert self.path is not None
        body = json.dumps({"complete": True, **marker}, indent=2, sort_keys=True) + "\n"
        _write_synced(self.path / COMPLETE_FILE, body.encode())
        _fsync_dir(self.path)
        link = self.out.parent / f".{self.out.name}.link-{os.getpid()}"
        link.unlink(missing_ok=True)
        link.symlink_to(os.path.relpath(self.path, self.out.parent))
        os.replace(link, self.out)
        _fsync_dir(self.out.parent)
        self._committed = True
        if self.previous is not None and self.previous != self.path:
            shutil.rmtree(self.previous, ignore_errors=True)

    # --- helpers -------------------------------------------------------------------------------------

    def _lock(self) -> None:
        fd = os.open(_lock_path(self.out), os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise RunDirectoryError(
                f"another run is writing to {self.out} (lock {_lock_path(self.out)} is held); "
                "wait for it or choose another --out"
            ) from None
        self._lock_fd = fd

    def _unlock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing the descriptor releases the flock
            self._lock_fd = None

    def _adopt_plain_directory(self) -> None:
        out = self.out
        if out.is_symlink():
            return
        if out.exists() and not out.is_dir():
            raise RunDirectoryError(f"--out {out} is a file, not a directory")
        if not out.exists():
            return
        names = {p.name for p in out.iterdir()}
        if names and not names & {"report.json", "state"}:
            raise RunDirectoryError(
                f"--out {out} holds other files ({', '.join(sorted(names)[:3])}...), not replay output; "
                "choose an empty or new directory"
            )
        foreign = sorted(names - _RUN_FILES)
        if foreign:
            raise RunDirectoryError(
                f"--out {out} holds files a replay does not write ({', '.join(foreign[:3])}); "
                "move them or choose another --out"
            )
        runs = _runs_dir(out)
        runs.mkdir(exist_ok=True)
        target = runs / f"adopted-{time.time_ns()}"
        os.replace(out, target)
        out.symlink_to(os.path.relpath(target, out.parent))

    def _remove_stale_runs(self) -> None:
        runs = _runs_dir(self.out)
        if not runs.is_dir():
            return
        for child in runs.iterdir():
            if child.resolve() != self.previous:
                shutil.rmtree(child, ignore_errors=True)
        for link in self.out.parent.glob(f".{self.out.name}.link-*"):
            link.unlink(missing_ok=True)


def _write_synced(path: Path, data: bytes) -> None:
    with path.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
