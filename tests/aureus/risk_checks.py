"""Checks of a replay's outputs that the risk acceptance tests share (equity.csv, risk_events.jsonl)."""

import csv
import json
from collections import defaultdict
from datetime import datetime
from pathlib import Path

from adapters.recorded import open_recording
from engine.metrics import utc_day
from engine.risk.notices import day_string

NS = 1_000_000_000


def equity_rows(run: Path) -> list[dict]:
    rows = list(csv.DictReader((run / "equity.csv").open()))
    for row in rows:
        row["ts_ns"] = int(datetime.fromisoformat(row["ts"].replace("Z", "+00:00")).timestamp()) * NS
    return rows


def kill_events(run: Path) -> list[dict]:
    events = [json.loads(line) for line in (run / "risk_events.jsonl").read_text().splitlines()]
    return [e for e in events if e["type"] == "kill_switch_triggered"]


def assert_flat_from_next_bar_to_end_of_day(run: Path) -> int:
    """Gross exposure is 0 in every equity row from a kill to the end of its UTC day.

    Returns how many rows were checked."""
    rows = equity_rows(run)
    checked = 0  # rows checked
    for kill in kill_events(run):
        day = utc_day(kill["ts_event"])
        after = [r for r in rows if r["ts_ns"] > kill["ts_event"] and utc_day(r["ts_ns"]) == day]
        for row in after:
            assert float(row["gross_exposure_pct"]) == 0.0, (kill, row)
            assert row["halted"] == "1", row
        checked += len(after)
    return checked


def bar_moves(recording: Path) -> dict[int, float]:
    """Largest absolute close-to-close move of any instrument at each bar timestamp."""
    last: dict[str, float] = {}
    moves: dict[int, float] = defaultdict(float)
    for record in open_recording(recording).iter_topic("md.bars"):
        bar = record.payload
        prev = last.get(bar.instrument)
        if prev:
            moves[bar.ts_event] = max(moves[bar.ts_event], abs(bar.close / prev - 1.0))
        last[bar.instrument] = bar.close
    return moves


def assert_name_exposure_within_cap(
    run: Path, recording: Path, cap_pct: float, lot_pct: float = 0.0
) -> float:
    """Every row's largest name exposure is at most the cap grown by that bar's price move (plus one lot,
    where whole shares cannot be trimmed finer). Returns the worst excess over the cap, in percent."""
    moves = bar_moves(recording)
    worst = 0.0
    prev_nav = None
    for row in equity_rows(run):
        exposure = float(row["max_name_exposure_pct"])
        nav = float(row["nav"])
        nav_drop = max(1.0, prev_nav / nav) if prev_nav else 1.0  # a lower NAV raises every percentage
        prev_nav = nav
        allowed = (
            cap_pct * (1.0 + moves.get(row["ts_ns"], 0.0)) * nav_drop + 1e-5 + lot_pct
        )  # equity.csv keeps 6 decimals
        assert exposure <= allowed, (row["ts"], exposure, allowed)
        worst = max(worst, exposure - cap_pct)
    return worst


def iso_day(ts_ns: int) -> str:
    """Trading day of an engine timestamp, as the supervisor names it (a 00:00 close ends the day before)."""
    return day_string(utc_day(ts_ns))
