"""Errors raised by the real-data importers; rooted in :class:`schemas.errors.AureusError`."""

from __future__ import annotations

from adapters.errors import AdapterError


class ImporterError(AdapterError):
    """An import that cannot go on: unknown kind, unreadable file, no valid rows, no symbol."""


class UnknownImportKindError(ImporterError):
    """The import kind is not in the registry."""


class UnreadableFileError(ImporterError):
    """An input file is missing, not a file, or cannot be decoded."""


class NoValidRowsError(ImporterError):
    """An input file yielded no row that passed validation."""


class SymbolInferenceError(ImporterError):
    """No symbol could be derived from the file name and none was given."""


class ImportRowError(ImporterError):
    """One input row refused by validation; the importer turns it into a reject.

    Parameters
    ----------
    reason
        A short snake_case code (``missing_value``, ``high_below_low``...), used to count rejects.
    detail
        Human-readable detail (which field, which values).
    """

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
