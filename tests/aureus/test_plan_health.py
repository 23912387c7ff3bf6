"""``aureus plan`` and ``aureus health`` on the real stocknet recording with the shipped model set."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from adapters.importers import import_files
from aureus.cli_research import register_research_commands
from aureus.plan import PLAN_COLUMNS

REPO = Path(__file__).resolve().parents[2]
DATA = REPO.parent / "shared" / "data" / "stocknet_daily_88" / "price_raw"
SHIPPED = REPO / "models" / "stocknet-real" / "wf-1"
ENV = {"COLUMNS": "200"}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def app():
    app = typer.Typer()
    register_research_commands(app)
    return app


@pytest.fixture(scope="module")
def plan_run(app, tmp_path_factory):
    files = sorted(DATA.glob("*.csv"))
    assert len(files) == 88, f"shared data missing (tests fail, never skip): {DATA}"
    rec = tmp_path_factory.mktemp("stocknet")
    import_files("yahoo-daily", files, rec, overwrite=True)
    out = tmp_path_factory.mktemp("plan")
    result = CliRunner().invoke(
        app, ["plan", "--data", str(rec), "--out", str(out), "--models", str(SHIPPED)], env=ENV
    )
    assert result.exit_code == 0, result.output
    return out


def test_plan_writes_the_seed_columns_and_an_audit_of_every_candidate(plan_run):
    with (plan_run / "trade_plan.csv").open() as f:
        plan = list(csv.DictReader(f))
    with (plan_run / "trade_plan_audit.csv").open() as f:
        audit = list(csv.DictReader(f))
    assert tuple(csv.reader((plan_run / "trade_plan.csv").open()).__next__()) == PLAN_COLUMNS
    assert len(audit) == 88
    kept = [a for a in audit if a["kept"] == "True"]
    assert len(kept) == len(plan) <= 8  # guardrails: max_positions 8
    for a in audit:
        assert (a["kept"] == "True") == (a["reason"] == "")
        if a["reason"].startswith("below_gate_"):
            gate = {"low_vol": 0.60, "med_vol": 0.62, "high_vol": 0.65}[a["regime"]]
            assert float(a["prob_win_cal"]) < gate and a["reason"] == f"below_gate_{a['regime']}"
    for p in plan:
        assert float(p["exp_pnl_net"]) > 0 and int(p["qty"]) >= 1 and float(p["position_cash"]) <= 250.0
    ranks = [float(p["epnl_time"]) for p in plan]
    assert ranks == sorted(ranks, reverse=True)


def test_health_writes_the_seed_report_and_an_alert_per_error_or_warning(app, plan_run):
    result = CliRunner().invoke(app, ["health", "--run", str(plan_run)], env=ENV)
    reports = list(plan_run.glob("daily_health_*.json"))
    assert len(reports) == 1 and reports[0].name == "daily_health_2017-09-01.json"
    report = json.loads(reports[0].read_text())
    metrics = report["metrics"]
    assert isinstance(metrics["quality"]["brier"], float) and isinstance(metrics["quality"]["ece"], float)
    assert {"signals_count", "coverage_pct"} <= set(metrics["coverage"])
    assert isinstance(metrics["regime"]["regime_distribution"], dict)
    serious = [f for f in report["findings"] if f["severity"] in ("ERROR", "WARNING")]
    assert len(report["alerts"]) == len(serious)
    assert len((plan_run / "alerts.jsonl").read_text().splitlines()) == len(serious)
    assert result.exit_code == (1 if report["status"] == "ERROR" else 0), result.output
    if metrics["coverage"]["signals_count"] < 10:
        assert report["status"] == "ERROR"
