"""Replay outputs, built from what the strategy's sink saw: report.json, trades.jsonl (immutable trade
log), decisions.jsonl (the ``signals`` stream), risk_events.jsonl, equity.csv and equity.png."""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import math
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec
import numpy as np

from aureus.paths import code_version
from aureus.report_extras import PriceRange, report_extras
from engine.asset_classes import sharpe_periods_per_year
from engine.config import AureusConfig
from engine.features.vector import warmup_bars
from engine.journal import EQUITY_COLUMNS, RunJournal
from engine.metrics import SHARPE_METHOD, daily_returns, drawdown_series, hit_rate, max_drawdown, sharpe_daily
from engine.sink import EQUITY, TRADES, CollectingSink
from schemas.recording import Manifest
from schemas.signals import EnsembleDecision
from schemas.topics import ALERTS, ESCALATIONS, FILLS, RISK, SIGNALS

if TYPE_CHECKING:
    from strategies.risk_desk import RiskDesk

_JSON = msgspec.json.Encoder()
NAME_COL = EQUITY_COLUMNS.index("max_name_exposure_pct")
GROSS_COL = EQUITY_COLUMNS.index("gross_exposure_pct")
#: One alert per data gap would swamp the report: these are counted in ``alerts_summarised`` and detailed
#: per instrument in ``data_stall_summary``.
COLLAPSED_ALERTS = ("data_stall", "data_resumed")
BUCKET_COLS = tuple(i for i, c in enumerate(EQUITY_COLUMNS) if c.startswith("bucket_"))


@dataclasses.dataclass(frozen=True)
class ReplayOutputs:
    """Everything a replay leaves for its report: run facts, the journal's counters and the sink's streams."""

    out_dir: Path
    data_path: Path
    manifest: Manifest
    config: AureusConfig
    config_hash: str
    journal: RunJournal
    sink: CollectingSink
    orders: int
    fills: int
    events: int
    elapsed_s: float
    models: dict
    risk: RiskDesk
    prices: dict[str, PriceRange] = dataclasses.field(default_factory=dict)
    bar_counts: dict[str, int] = dataclasses.field(default_factory=dict)


def write_outputs(o: ReplayOutputs) -> dict:
    """Write every output file and return the report dict."""
    o.out_dir.mkdir(parents=True, exist_ok=True)
    report = build_report(o)
    (o.out_dir / "report.json").write_bytes(msgspec.json.format(_JSON.encode(report), indent=2) + b"\n")
    write_trade_log(o.out_dir / "trades.jsonl", o.sink.get(TRADES))
    write_equity_csv(o.out_dir / "equity.csv", equity_rows(o))
    write_risk_events(o.out_dir / "risk_events.jsonl", o.sink.get(RISK))
    write_decisions(o.out_dir / "decisions.jsonl", o.sink.get(SIGNALS))
    write_risk_events(o.out_dir / "escalations.jsonl", o.sink.get(ESCALATIONS))
    plot_equity(
        o.out_dir / "equity.png",
        equity_rows(o),
        o.config.venue.starting_nav,
        title=f"Aureus replay — {', '.join(s.instrument_id for s in o.manifest.instruments)}",
    )
    return report


def equity_rows(o: ReplayOutputs) -> list[tuple]:
    """The equity rows the sink saw, as tuples in :data:`~engine.journal.EQUITY_COLUMNS` order."""
    return [row.as_tuple() for row in o.sink.get(EQUITY)]


def build_report(o: ReplayOutputs) -> dict:
    rows = equity_rows(o)
    trades = o.sink.get(TRADES)
    ensemble = [d for d in o.sink.get(SIGNALS) if isinstance(d, EnsembleDecision)]
    decisions = Counter(d.action for d in ensemble)
    penalties = Counter(p for d in ensemble for p in d.penalties)
    start_nav = o.config.venue.starting_nav
    ts = np.array([r[0] for r in rows], dtype=np.int64)
    nav = np.array([r[1] for r in rows], dtype=np.float64)
    rets = daily_returns(ts, nav, start_nav)
    closed = [t.realized_pnl for t in trades if t.exit_price is not None]
    version = code_version()
    rl_ok = o.models.get("ppo_size_hint") is not None
    periods = sharpe_periods_per_year(s.kind for s in o.manifest.instruments)
    alerts = o.sink.get(ALERTS)
    collapsed = Counter(a.code for a in alerts if a.code in COLLAPSED_ALERTS)
    warmup = warmup_bars(o.config.features)
    return {
        "run_id": run_id_for(o.manifest.content_hash, o.config_hash, version),
        "data_path": str(o.data_path),
        "data_content_hash": o.manifest.content_hash,
        "data_source": o.manifest.source,
        "config_hash": o.config_hash,
        "code_version": version,
        "synthetic": o.manifest.synthetic,
        "mode": o.config.mode,
        "policy_version": o.config.policy.version,
        "instruments": [s.instrument_id for s in o.manifest.instruments],
        "events": o.events,
        "bars": o.journal.bars,
        "news": o.journal.news,
        "orders": o.orders,
        "fills": o.fills,
        "trades": len(closed),
        "open_trades_at_end": sum(1 for t in trades if t.exit_price is None),
        "starting_nav": start_nav,
        "final_nav": float(nav[-1]) if len(nav) else start_nav,
        "total_return": float(nav[-1] / start_nav - 1.0) if len(nav) else 0.0,
        "max_drawdown": max_drawdown(nav, start_nav),
        "sharpe_daily": sharpe_daily(rets, periods),
        "sharpe_method": SHARPE_METHOD,
        "sharpe_annualization": f"sqrt({periods})",
        "observation_days": int(len(rets)),
        "hit_rate": hit_rate(closed),
        **risk_report(o),
        "decisions": dict(sorted(decisions.items())),
        "penalties_fired": dict(sorted(penalties.items())),
        "counters": dict(sorted(o.journal.counters.items())),
        "models": o.models,
        "rl_model": "loaded" if rl_ok else "missing",
        "ensemble_mode": "full" if rl_ok else "predictors_only_half_size",
        "alerts": [
            {"ts_event": a.ts_event, "severity": a.severity, "code": a.code, "message": a.message}
            for a in alerts
            if a.code not in COLLAPSED_ALERTS
        ],
        "alerts_summarised": dict(sorted(collapsed.items())),
        "warmup_bars": warmup,
        "instruments_short_of_warmup": sorted(n for n, c in o.bar_counts.items() if c <= warmup),
        **report_extras(
            trades=trades,
            fills=o.sink.get(FILLS),
            navs=[float(v) for v in nav],
            gross_exposure_pct=[r[GROSS_COL] for r in rows],
            prices=o.prices,
            risk_events=o.sink.get(RISK),
            end_ns=o.manifest.end_ns,
        ),
        "elapsed_s": round(o.elapsed_s, 3),
        "events_per_s": round(o.events / o.elapsed_s, 1) if o.elapsed_s > 0 else None,
        "bars_per_s": round(o.journal.bars / o.elapsed_s, 1) if o.elapsed_s > 0 else None,
    }


def risk_report(o: ReplayOutputs) -> dict:
    """Risk section of the report: kill switch, quarantine, clamps, exposure peaks, SIP, denials."""
    desk = o.risk
    state = desk.supervisor.state
    counters = o.journal.counters
    caps = desk.limits
    rows = equity_rows(o)
    return {
        "kill_switch_armed": True,
        "kill_switch_activations": state.activations,
        "kill_switch_days": list(state.kill_days),
        "kill_switch_threshold_pct": -o.config.risk.kill_switch.daily_loss_pct,
        "quarantine_days": list(desk.supervisor.quarantine_days),
        "demo_days": list(state.demo_days),
        "final_mode": desk.mode,
        "risk_profile": o.config.risk.profile,
        "clamp_reductions": counters.get("clamp_reductions", 0),
        "clamp_rejections": counters.get("clamp_rejections", 0),
        "clamp_reasons": dict(sorted(o.journal.clamp_reasons.items())),
        "max_name_exposure_pct": max((r[NAME_COL] for r in rows), default=0.0),
        "max_bucket_exposure_pct": max((max(r[c] for c in BUCKET_COLS) for r in rows), default=0.0),
        "caps_pct": {
            "per_name": {b: v * 100.0 for b, v in caps.per_name.items()},
            "bucket": {b: v * 100.0 for b, v in caps.bucket.items()},
        },
        "trims": counters.get("trims", 0),
        "orders_denied": counters.get("orders_denied", 0),
        "flatten_denied": counters.get("flatten_denied", 0),
        "data_stalls": counters.get("data_stalls", 0),
        "sip_balance": state.sip_balance,
        "sip_ledger": [msgspec.to_builtins(e) for e in state.sip_ledger],
        "last_flatten": msgspec.to_builtins(state.last_flatten),
        "risk_events": len(o.sink.get(RISK)),
    }


def write_risk_events(path: Path, events: list) -> None:
    """The ``risk`` topic of the run, one JSON event per line (clamp hits, kill switch, quarantine, modes)."""
    with path.open("wb") as f:
        for event in events:
            f.write(_JSON.encode(event))
            f.write(b"\n")


def write_decisions(path: Path, decisions: list) -> None:
    """The ``signals`` stream of the run, one message per line, encoded as the daemon publishes it."""
    with path.open("wb") as f:
        for decision in decisions:
            f.write(_JSON.encode(decision))
            f.write(b"\n")


def write_trade_log(path: Path, trades: list) -> None:
    with path.open("wb") as f:
        for entry in trades:
            f.write(_JSON.encode(entry))
            f.write(b"\n")


def write_equity_csv(path: Path, rows: list[tuple]) -> None:
    from schemas.tradelog import iso_utc

    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(EQUITY_COLUMNS)
        for row in rows:
            writer.writerow([iso_utc(row[0]), *(_fmt(v) for v in row[1:])])


def _fmt(v) -> str:
    if isinstance(v, str | int):
        return str(v)
    return "nan" if not math.isfinite(v) else f"{v:.6f}"


def plot_equity(path: Path, rows: list[tuple], starting_nav: float, *, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    fig, (ax_nav, ax_dd) = plt.subplots(2, 1, figsize=(11, 6), sharex=True, height_ratios=[3, 1])
    if rows:
        times = np.array([r[0] for r in rows], dtype="datetime64[ns]")
        nav = np.array([r[1] for r in rows])
        dd = drawdown_series(nav, starting_nav) * 100.0
        ax_nav.plot(times, nav, lw=1.0, color="#1f5fa8")
        ax_nav.axhline(starting_nav, color="grey", lw=0.6, ls="--")
        ax_dd.fill_between(times, dd, 0.0, color="#b33", alpha=0.5, lw=0)
        ax_dd.xaxis.set_major_formatter(mdates.DateFormatter("%m-%d"))
    ax_nav.set_title(title, fontsize=10)
    ax_nav.set_ylabel("NAV")
    ax_dd.set_ylabel("drawdown %")
    ax_nav.grid(alpha=0.3)
    ax_dd.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(fig)


def run_id_for(content_hash: str, cfg_hash: str, code_version: str) -> str:
    """Deterministic run id: the same data, config and code give the same id."""
    return hashlib.sha256(f"{content_hash}|{cfg_hash}|{code_version}".encode()).hexdigest()[:16]
