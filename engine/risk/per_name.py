"""Pre-submit size clamp: per-name caps by risk bucket (seed 001, "Per-Name Position Limits").

This is the minimal clamp the decision path needs today; the full risk core (bucket usage, kill switch,
quarantine) builds on it.
"""

from __future__ import annotations

import msgspec

from engine.config import RiskCaps


class ClampResult(msgspec.Struct, frozen=True, kw_only=True):
    size: float
    reduced: bool
    reason: str = ""


def clamp_size(size: float, bucket: str, caps: RiskCaps) -> ClampResult:
    """Reduce a target size (fraction of NAV) to the per-name cap of its bucket.

    Raises
    ------
    KeyError
        Unknown bucket name: an instrument without a valid bucket must never trade.
    """
    cap = getattr(caps.per_name_pct, bucket) / 100.0 if bucket in ("core", "penny", "fno") else None
    if cap is None:
        raise KeyError(f"unknown risk bucket {bucket!r} (expected core, penny or fno)")
    if size > cap:
        return ClampResult(size=cap, reduced=True, reason=f"per_name_cap_{bucket}")
    return ClampResult(size=size, reduced=False)
