"""Entries approved below the caps (``risk.caps.entry_buffer_pct``) and drift trims past a band
(``risk.caps.trim_hysteresis_pct``), through the limits resolved from the config."""

from __future__ import annotations

import pytest
from risk_clamp_cases import book, order

from engine.config import load_config
from engine.risk.clamp import assess, drift_trims
from engine.risk.limits import resolve_limits


def _limits(*overrides: str):
    return resolve_limits(load_config(overrides=list(overrides)).risk, "demo")


def test_the_default_entry_buffer_approves_an_entry_5_percent_below_the_per_name_cap() -> None:
    verdict = assess(order(size=0.03), book(), _limits())

    assert verdict.status == "reduced" and verdict.binding == "per_name_cap"
    assert verdict.approved == pytest.approx(0.015 * 0.95) and verdict.limit == pytest.approx(0.015 * 0.95)


def test_the_entry_buffer_also_keeps_the_bucket_below_its_cap() -> None:
    limits = _limits("risk.caps.per_name_pct.core=50", "risk.caps.bucket_pct.core=60")
    held = book(("A.TO", "core", "tech", 50.0))  # 50 % of NAV in the core bucket already

    verdict = assess(order(size=0.3), held, limits)

    assert verdict.binding == "bucket_cap" and verdict.approved == pytest.approx(0.6 * 0.95 - 0.5)


def test_a_reduce_only_order_ignores_the_entry_buffer() -> None:
    held = book(("NEW.TO", "core", "tech", 1.5))

    verdict = assess(order(size=0.015, side=-1, reduce_only=True), held, _limits())

    assert verdict.status == "approved" and verdict.approved == 0.015


@pytest.mark.parametrize(
    ("exposure_pct", "hysteresis", "trimmed"),
    [(1.52, "0", True), (1.52, "3", False), (1.56, "3", True), (1.5, "0", False)],
)
def test_drift_trims_fire_only_past_the_hysteresis_band(exposure_pct, hysteresis, trimmed) -> None:
    limits = _limits(f"risk.caps.trim_hysteresis_pct={hysteresis}")
    trims = drift_trims(book(("A.TO", "core", "tech", exposure_pct)), limits)

    assert bool(trims) is trimmed
    if trims:  # back to 10 % below the cap (trim_buffer_pct), as without a band
        assert trims[0].target == pytest.approx(0.015 * 0.9)
