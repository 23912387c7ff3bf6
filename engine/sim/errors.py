"""Errors raised by the research simulator."""

from schemas.errors import AureusError


class SimError(AureusError):
    """Root of every error the simulator raises on purpose."""


class SimUnsupportedError(SimError):
    """A configuration the simulator does not model (it refuses rather than simulate something else);
    the message names the config field."""
