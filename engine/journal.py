"""What a run leaves behind for its report: equity rows, closed trades, decision counts, alerts.

The strategy appends; the runtime reads after the run. Nothing in here reads a clock.
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


class AlertRecord(msgspec.Struct, frozen=True, kw_only=True):
    ts_event: int
    severity: str
    code: str
    message: str


class RunJournal:
    """Append-only record of one run; equity rows are one per distinct bar timestamp."""

    def __init__(self) -> None:
        self.equity_rows: list[tuple] = []
        self.trades: list = []  # schemas.tradelog.TradeLogEntry, in close order
        self.decisions: Counter[str] = Counter()
        self.counters: Counter[str] = Counter()
        self.alerts: list[AlertRecord] = []
        self.risk_events: list = []  # schemas.risk.RiskEvent, in engine-clock order
        self.clamp_reasons: Counter[str] = Counter()
        self.bars = 0
        self.news = 0

    def record_equity(self, row: tuple) -> None:
        if self.equity_rows and self.equity_rows[-1][0] == row[0]:
            self.equity_rows[-1] = row
        else:
            self.equity_rows.append(row)

    def risk_event(self, event) -> None:
        self.risk_events.append(event)

    def alert(self, ts_event: int, severity: str, code: str, message: str) -> None:
        self.alerts.append(AlertRecord(ts_event=ts_event, severity=severity, code=code, message=message))
