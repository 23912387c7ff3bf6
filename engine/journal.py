"""Run statistics and the per-timestamp equity row.

Outputs (decisions, orders, fills, risk events, alerts, trades, equity rows) go through the event sink
(:mod:`engine.sink`); the journal only counts what has no topic: bars and news seen, clamp reasons and
named counters. Nothing in here reads a clock.
"""

from __future__ import annotations

from collections import Counter

import msgspec

EQUITY_COLUMNS = (
    "ts",
    "nav",
    "day_pnl_pct",
    "gross_exposure_pct",
    "net_exposure_pct",
    "max_name_exposure_pct",
    "bucket_core_pct",
    "bucket_penny_pct",
    "bucket_fno_pct",
    "mode",
    "halted",
)


class EquityRow(msgspec.Struct, frozen=True, kw_only=True):
    """One portfolio row per timestamp (the ``equity`` channel); fields in :data:`EQUITY_COLUMNS` order."""

    ts: int
    nav: float
    day_pnl_pct: float
    gross_exposure_pct: float
    net_exposure_pct: float
    max_name_exposure_pct: float
    bucket_core_pct: float
    bucket_penny_pct: float
    bucket_fno_pct: float
    mode: str
    halted: int

    def as_tuple(self) -> tuple:
        """The row's values in :data:`EQUITY_COLUMNS` order."""
        return msgspec.structs.astuple(self)


class RunJournal:
    """Counters of one run that belong to no topic; the report reads them after the run."""

    def __init__(self) -> None:
        self.counters: Counter[str] = Counter()
        self.clamp_reasons: Counter[str] = Counter()
        self.bars = 0
        self.news = 0
        self.orders = 0  # orders the strategy submitted (the report's count; Nautilus's cache is purged)
        self.fills = 0  # OrderFilled events the strategy received
