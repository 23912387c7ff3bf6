"""Errors raised by the research core (labels, splits, calibration, registry, promotion)."""

from __future__ import annotations

from schemas.errors import AureusError


class ResearchError(AureusError):
    """Root of every error the research core raises on purpose."""


class SplitError(ResearchError):
    """Rows that cannot be split without leakage (too few rows, unsorted time, empty segment)."""


class CalibrationError(ResearchError):
    """A calibrator that cannot be fitted or applied (no rows in a regime, a single class)."""


class RegistryError(ResearchError):
    """A model-set registry operation that cannot be done (unknown version, nothing to roll back)."""
