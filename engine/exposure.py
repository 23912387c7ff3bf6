"""Book exposure as percentages of NAV: gross, net, largest single name, and per risk bucket."""

from __future__ import annotations

import msgspec

BUCKETS = ("core", "penny", "fno")


class Exposure(msgspec.Struct, frozen=True, kw_only=True):
    gross_pct: float
    net_pct: float
    max_name_pct: float
    bucket_pct: dict[str, float]


FLAT = Exposure(gross_pct=0.0, net_pct=0.0, max_name_pct=0.0, bucket_pct=dict.fromkeys(BUCKETS, 0.0))


def exposure(signed_notional: dict[str, float], buckets: dict[str, str], nav: float) -> Exposure:
    """Compute exposures from signed notionals per instrument (long > 0, short < 0).

    Bucket exposure is gross (long + |short|) within the bucket, as bucket caps limit capital at risk.
    """
    if nav <= 0.0:
        raise ValueError(f"NAV must be positive to express exposure in percent, got {nav}")
    if not any(signed_notional.values()):  # a flat book: every figure is zero
        return FLAT
    gross = net = max_name = 0.0
    per_bucket = dict.fromkeys(BUCKETS, 0.0)
    for instrument, notional in signed_notional.items():
        size = abs(notional)
        gross += size
        net += notional
        max_name = max(max_name, size)
        per_bucket[buckets[instrument]] += size
    scale = 100.0 / nav
    return Exposure(
        gross_pct=gross * scale,
        net_pct=net * scale,
        max_name_pct=max_name * scale,
        bucket_pct={b: v * scale for b, v in per_bucket.items()},
    )
