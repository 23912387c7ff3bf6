"""Errors raised by the adapters layer (recorded-stream files, importers, synthetic data).

Everything here is rooted in :class:`schemas.errors.AureusError`. Library exceptions (``OSError``,
``msgspec.DecodeError``, ``gzip.BadGzipFile``...) are translated at the edge with ``raise ... from e``.
"""

from __future__ import annotations

from pathlib import Path

from schemas.errors import AureusError


class AdapterError(AureusError):
    """Root of the errors raised by ``adapters/``."""


class RecordingError(AdapterError):
    """A recording that cannot be written or read: missing directory or manifest, corrupt line.

    Parameters
    ----------
    message
        What went wrong.
    path
        The file or directory concerned.
    line
        1-based line number inside ``path`` when the problem is one line.
    """

    def __init__(self, message: str, *, path: Path | str | None = None, line: int | None = None) -> None:
        where = ""
        if path is not None:
            where = f" [{path}" + (f", line {line}" if line is not None else "") + "]"
        super().__init__(message + where)
        self.path = None if path is None else Path(path)
        self.line = line


class RecordingIntegrityError(RecordingError):
    """A recording whose files do not match the hashes or record counts of its manifest."""
