"""Shared books, orders and limits of the clamp example tests (NAV 100,000: a notional of 1,000 is 1 %)."""

from __future__ import annotations

from engine.config import load_config
from engine.risk.book import Book, Holding
from engine.risk.clamp import OrderRequest
from engine.risk.limits import resolve_limits

NAV = 100_000.0
# the cap arithmetic at the caps themselves; the entry buffer has its own tests (test_risk_entry_buffer.py)
_EXACT = "risk.caps.entry_buffer_pct=0"
RUNBOOK = resolve_limits(load_config(overrides=[_EXACT]).risk, "demo")
MICRO = resolve_limits(load_config(overrides=[_EXACT]).risk, "micro")
GUARDRAILS = resolve_limits(load_config(overrides=["risk.profile=guardrails", _EXACT]).risk, "demo")
LONG_SHORT = resolve_limits(load_config(overrides=["risk.profile=long_short", _EXACT]).risk, "full")


def book(*holdings: tuple[str, str, str, float], nav: float = NAV) -> Book:
    """Holdings as (instrument, bucket, sector, percent of NAV)."""
    return Book(
        nav=nav,
        holdings=tuple(
            Holding(instrument=i, bucket=b, sector=s, notional=pct / 100.0 * nav) for i, b, s, pct in holdings
        ),
    )


def order(instrument: str = "NEW.TO", size: float = 0.01, side: int = 1, **kw: object) -> OrderRequest:
    """A core buy at 100 unless told otherwise."""
    fields: dict[str, object] = {"bucket": "core", "price": 100.0}
    fields.update(kw)
    return OrderRequest(instrument=instrument, side=side, size=size, **fields)  # type: ignore[arg-type]
