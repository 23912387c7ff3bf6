"""Errors raised by the engine core."""

from schemas.errors import AureusError


class ConfigError(AureusError):
    """A configuration that cannot be used; the message names the offending field path."""


class EngineError(AureusError):
    """A fatal problem while assembling or running an engine."""
