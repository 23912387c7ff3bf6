"""Trade plan (seed 003): score the last bar of every instrument, gate, cost, size and rank by E[PnL]/time.

``make_plan`` reads a recording, computes the features with the strategy's kernels, scores each
instrument's last bar with the model set's calibrated first-touch model (``p_touch``), applies the
entry checks of :mod:`engine.research.entry` (regime gate, take-profit above fee, positive E[PnL] net
of fees) and sizes kept entries with the guardrails profile (per-trade target = per-name cap of NAV,
integer quantities, at most ``max_positions``). ``etth_days`` is a random-walk proxy of the time to
reach the take-profit: ``(tp / sigma)^2`` bars, sigma the standard deviation of the last 20 log
returns, capped at the label horizon. Written files: ``trade_plan.csv`` (seed columns, ranked),
``trade_plan_audit.csv`` (every candidate and why it was kept or gated), ``signals.csv`` and
``plan_run.json`` (inputs for ``aureus health``).
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from adapters.recorded import open_recording
from aureus.train import load_bars
from engine.asset_classes import round_trip_fee
from engine.config import AureusConfig
from engine.features.vector import FEATURE_NAMES, FeatureParams, compute_feature_matrix
from engine.models.manifest import iso_from_ns
from engine.models.runtime import ModelBundle
from engine.research.entry import check_entry
from engine.research.errors import ResearchError
from engine.research.labels import LabelSpec, first_touch_labels
from engine.research.metrics import ece, psi

PLAN_COLUMNS = (
    "ticker",
    "regime",
    "prob_win_cal",
    "entry_price",
    "qty",
    "position_cash",
    "exp_pnl",
    "exp_pnl_net",
    "etth_days",
    "epnl_time",
)
KEY_FEATURES = ("atr_norm", "vol_z", "ret_5", "rsi_14")
ATR = FEATURE_NAMES.index("atr_norm")
QUALITY_BARS = 60


def make_plan(
    data_dir: str | Path, out_dir: str | Path, *, models_dir: str | Path, config: AureusConfig
) -> dict[str, Any]:
    """Write the trade plan, its audit, the signals and the health inputs; return the run summary."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    recording = open_recording(data_dir)
    recording.verify()
    bars = load_bars(recording)
    params = FeatureParams()
    bundle = ModelBundle.load(models_dir, params=params, names=("p_touch",))
    manifest = bundle.manifest("p_touch")
    research = manifest.research or {}
    if "regime_thresholds" not in research:
        raise ResearchError(f"{models_dir}: p_touch carries no regime calibration (not a walk-forward set)")
    thresholds = tuple(research["regime_thresholds"])
    horizon = manifest.horizon_bars
    stops, venue = config.policy.stop_multipliers, config.venue
    kinds = {s.instrument_id: s.kind for s in recording.manifest.instruments}
    gates = (config.policy.gates.low_vol, config.policy.gates.med_vol, config.policy.gates.high_vol)
    as_of = max(int(b.ts[-1]) for b in bars)
    nav = venue.starting_nav
    per_trade = config.risk.caps.per_name_pct.core / 100.0 * nav
    max_positions = config.risk.limits.max_positions or len(bars)
    candidates, today_rows, train_rows, quality = [], [], [], ([], [])
    for b in bars:
        fee = round_trip_fee(kinds[b.instrument], config)  # the instrument's own, as the strategy's gate
        spec = LabelSpec("p_touch", "first_touch", horizon, stops.take_profit, stops.atr, fee)
        m = compute_feature_matrix(b.open, b.high, b.low, b.close, b.volume, params)
        train_rows.append(m[b.ts <= manifest.split.train_end_ns])
        labels, available, _ = first_touch_labels(b.high, b.low, b.close, m[:, ATR], spec)
        recent = np.flatnonzero(available & np.isfinite(m).all(axis=1))[-QUALITY_BARS:]
        if recent.size:
            quality[0].append(labels[recent])
            quality[1].append(bundle.predict_batch(m[recent])[:, 0])
        row = m[-1]
        today_rows.append(row)
        cand = {"ticker": b.instrument, "ts": iso_from_ns(int(b.ts[-1])), "entry_price": float(b.close[-1])}
        if int(b.ts[-1]) != as_of:
            candidates.append({**cand, "kept": False, "reason": "stale_last_bar"})
            continue
        if not np.isfinite(row).all():
            candidates.append({**cand, "kept": False, "reason": "features_not_ready"})
            continue
        prob = float(bundle.predict_row(row)[0])
        check = check_entry(
            prob,
            float(row[ATR]),
            take_profit_atr=stops.take_profit,
            stop_atr=stops.atr,
            round_trip_fee=fee,
            thresholds=thresholds,
            gates=gates,
        )
        rets = np.diff(np.log(b.close[-21:]))
        sigma = float(np.std(rets, ddof=1)) if rets.size > 1 else float("nan")
        etth_bars = min(float(horizon), (check.take_profit / sigma) ** 2) if sigma > 0 else float(horizon)
        etth_days = etth_bars * bars[0].interval_s / 86_400.0
        qty = math.floor(per_trade / cand["entry_price"]) if cand["entry_price"] > 0 else 0
        cand.update(
            regime=check.regime,
            prob_win_cal=prob,
            exp_pnl=check.exp_pnl,
            exp_pnl_net=check.exp_pnl_net,
            etth_days=etth_days,
            epnl_time=check.exp_pnl_net / etth_days if etth_days > 0 else None,
            qty=qty,
            position_cash=qty * cand["entry_price"],
            passed_gate=check.reason is None or check.reason == "exp_pnl_net_nonpositive",
            kept=check.take,
            reason=check.reason,
        )
        if check.take and qty == 0:
            cand.update(kept=False, reason="price_above_per_trade_target")
        candidates.append(cand)
    kept = sorted((c for c in candidates if c["kept"]), key=lambda c: (-c["epnl_time"], c["ticker"]))
    for c in kept[max_positions:]:
        c.update(kept=False, reason="max_positions")
    kept = kept[:max_positions]
    _write_csv(out / "trade_plan.csv", PLAN_COLUMNS, kept)
    audit_cols = (
        "ticker",
        "ts",
        "regime",
        "prob_win_cal",
        "entry_price",
        "exp_pnl",
        "exp_pnl_net",
        "etth_days",
        "epnl_time",
        "qty",
        "position_cash",
        "kept",
        "reason",
    )
    _write_csv(out / "trade_plan_audit.csv", audit_cols, candidates)
    scored = [c for c in candidates if "prob_win_cal" in c]
    signals = [c for c in scored if c["passed_gate"]]
    _write_csv(out / "signals.csv", ("ticker", "ts", "regime", "prob_win_cal", "passed_gate"), scored)
    today = np.array(today_rows)
    train = np.concatenate(train_rows) if train_rows else np.empty((0, len(FEATURE_NAMES)))
    y_q = np.concatenate(quality[0]) if quality[0] else np.empty(0)
    p_q = np.concatenate(quality[1]) if quality[1] else np.empty(0)
    cash = sorted((c["position_cash"] for c in kept), reverse=True)
    calibrators = research.get("calibrators", [])
    run = {
        "as_of": iso_from_ns(as_of),
        "data": str(data_dir),
        "data_content_hash": recording.manifest.content_hash,
        "models_dir": str(models_dir),
        "model_version": manifest.version,
        "profile": config.risk.profile,
        "coverage": {
            "signals_count": len(signals),
            "candidates_count": len(scored),
            "coverage_pct": 100.0 * len(signals) / len(scored) if scored else 0.0,
            "planned_count": len(kept),
        },
        "calibration": {"missing_regimes": [c["regime"] for c in calibrators if c["method"] == "none"]},
        "features": {
            "nan_fraction": {
                n: float(np.mean(~np.isfinite(today[:, i]))) for i, n in enumerate(FEATURE_NAMES)
            }
        },
        "quality": {
            "brier": float(np.mean((p_q - y_q) ** 2)) if y_q.size else None,
            "ece": ece(y_q, p_q) if y_q.size else None,
            "n": int(y_q.size),
            "window": f"last {QUALITY_BARS} labelled bars per instrument",
        },
        "drift": {
            "psi": {
                n: psi(train[:, FEATURE_NAMES.index(n)], today[:, FEATURE_NAMES.index(n)])
                for n in KEY_FEATURES
            },
            "reference": "model training rows (search period)",
        },
        "concentration": {"top5_pct": 100.0 * sum(cash[:5]) / sum(cash) if cash and sum(cash) > 0 else None},
        "regime": {"regime_distribution": _distribution([c["regime"] for c in signals])},
    }
    (out / "plan_run.json").write_text(
        json.dumps(run, indent=2, sort_keys=True, allow_nan=False, default=_json_default) + "\n"
    )
    return run


def _json_default(value: Any) -> Any:
    raise TypeError(f"not JSON serialisable: {value!r}")


def _distribution(regimes: list[str | None]) -> dict[str, float]:
    names = [r for r in regimes if r is not None]
    return {r: 100.0 * names.count(r) / len(names) for r in sorted(set(names))} if names else {}


def _write_csv(path: Path, columns: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
    with path.open("w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_cell(row.get(c)) for c in columns])


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)
