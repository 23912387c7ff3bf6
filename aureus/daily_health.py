"""``aureus health``: the daily health report of a plan run (seed 003, sections 3 and 5).

Reads ``plan_run.json`` written by ``aureus plan``, applies :func:`engine.research.health.run_checks`
and writes ``daily_health_YYYY-MM-DD.json`` (the run's as-of date) with the seed's keys
(``metrics.quality.brier``, ``metrics.quality.ece``, ``metrics.coverage.*``,
``metrics.regime.regime_distribution``), plus one :class:`schemas.alerts.Alert` per ERROR or WARNING,
also in ``alerts.jsonl`` for the alert router.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import msgspec

from engine.research.errors import ResearchError
from engine.research.health import overall_status, run_checks
from schemas.alerts import Alert

_SEVERITY = {"ERROR": "critical", "WARNING": "warning"}


def daily_health(run_dir: str | Path, out_dir: str | Path | None = None) -> tuple[Path, dict[str, Any]]:
    """Write the health report of the plan run in ``run_dir``; return its path and content."""
    run_path = Path(run_dir) / "plan_run.json"
    try:
        run = json.loads(run_path.read_text())
    except FileNotFoundError as e:
        raise ResearchError(f"{run_path} not found: run `aureus plan` first") from e
    except ValueError as e:
        raise ResearchError(f"{run_path} is not valid JSON: {e}") from e
    keys = ("quality", "coverage", "regime", "features", "drift", "concentration", "calibration")
    missing = [k for k in keys if k not in run]
    if missing:
        raise ResearchError(f"{run_path} lacks {missing}")
    metrics = {k: run[k] for k in keys}
    findings = run_checks(metrics)
    as_of = datetime.fromisoformat(run["as_of"])
    ts_ns = int(as_of.timestamp()) * 1_000_000_000
    alerts = [
        Alert(
            severity=_SEVERITY[f.severity],
            code=f"health_{f.code}",
            message=f.message,
            ts_event=ts_ns,
            tags=("daily_health",),
        )
        for f in findings
        if f.severity in _SEVERITY
    ]
    report = {
        "date": as_of.date().isoformat(),
        "as_of": run["as_of"],
        "status": overall_status(findings),
        "summary": {s: sum(f.severity == s for f in findings) for s in ("ERROR", "WARNING", "INFO")},
        "model_version": run.get("model_version"),
        "models_dir": run.get("models_dir"),
        "data_content_hash": run.get("data_content_hash"),
        "metrics": metrics,
        "findings": [{"severity": f.severity, "code": f.code, "message": f.message} for f in findings],
        "alerts": [msgspec.to_builtins(a) for a in alerts],
    }
    out = Path(out_dir) if out_dir is not None else Path(run_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"daily_health_{report['date']}.json"
    path.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    (out / "alerts.jsonl").write_bytes(b"".join(msgspec.json.encode(a) + b"\n" for a in alerts))
    return path, report
