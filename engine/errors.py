"""Errors raised by the engine core."""

from schemas.errors import AureusError


class ConfigError(AureusError):
    """A configuration that cannot be used; the message names the offending field path."""


class EngineError(AureusError):
    """A fatal problem while assembling or running an engine."""


class StateStoreError(AureusError):
    """State that must survive a restart cannot be read or written: bad key, unreadable or corrupt
    document, or a store that failed; the message names the key (and the file or URL where known)."""


class StaleStateError(StateStoreError):
    """A compare-and-set write found another value than the one it was based on: someone else wrote the
    key since it was read. Nothing was written; re-read and decide again."""


class StateStoreUnavailableError(StateStoreError):
    """The store cannot be reached right now (connection refused, timeout); retrying may succeed.

    Parameters
    ----------
    message
        What went wrong.
    retry_after
        Suggested wait in seconds before retrying.
    """

    def __init__(self, message: str, *, retry_after: float = 1.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RiskInputError(AureusError, ValueError):
    """A value the risk supervisor cannot judge, e.g. a non-finite or non-positive NAV."""
