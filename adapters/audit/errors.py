"""Errors of the audit ledger."""

from adapters.errors import AdapterError


class LedgerError(AdapterError):
    """A ledger that cannot be read or appended to (unreadable file, a line that is not a record)."""
