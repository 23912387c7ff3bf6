"""Research commands: the walk-forward OOS tables, ``aureus plan`` and ``aureus health``."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from aureus.cli_errors import describe, fail
from schemas.errors import AureusError

_COLUMNS = (
    ("n", "n"),
    ("base_rate", "base"),
    ("auc", "AUC"),
    ("brier", "Brier"),
    ("ece_raw", "ECE raw"),
    ("ece_cal", "ECE cal"),
    ("lift_at_10pct", "lift@10%"),
    ("coverage", "cover"),
)


def _fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, int):
        return str(value)
    return f"{value:.4f}"


def oos_table(name: str, report: dict[str, Any]) -> Table:
    """One model's OOS rows: each fold, each regime (pooled over folds) and all."""
    table = Table(title=escape(f"{name} forward OOS ({report['label']})"))
    table.add_column("slice")
    for _, header in _COLUMNS:
        table.add_column(header, justify="right")
    for fold in report["folds"]:
        table.add_row(f"fold {fold['fold']}", *[_fmt(fold.get(k)) for k, _ in _COLUMNS])
    for regime, m in report["regimes"].items():
        table.add_row(regime, *[_fmt(m.get(k)) for k, _ in _COLUMNS])
    table.add_row("all", *[_fmt(report["oos"].get(k)) for k, _ in _COLUMNS])
    return table


def print_walkforward(console: Console, metrics: dict[str, Any]) -> None:
    """Print every model's OOS table and the data regime."""
    console.print(
        f"data_regime={metrics['data_regime']}  observation_days={metrics['observation_days']}  "
        f"primary={metrics['primary']}"
    )
    for name, report in metrics["models"].items():
        console.print(oos_table(name, report))


def register_research_commands(app: Any) -> None:
    """Add ``aureus plan`` and ``aureus health`` to the top-level typer ``app``."""
    app.command("plan")(plan_command)
    app.command("health")(health_command)


def plan_command(
    data: Annotated[Path, typer.Option("--data", help="Recording directory with md.bars.")],
    out: Annotated[Path, typer.Option("--out", help="Directory for trade_plan.csv and its audit.")],
    models: Annotated[
        Path,
        typer.Option(
            "--models", help="Walk-forward model set (a version dir, or a set with a promoted one)."
        ),
    ] = Path("models/stocknet-real/wf-1"),
    overrides: Annotated[list[str] | None, typer.Option("--set", help="Config override key=value.")] = None,
) -> None:
    """Seed 003 trade plan under the guardrails profile, ranked by E[PnL]/time, with an audit file."""
    from aureus.paths import resolve_repo_path
    from aureus.plan import PLAN_COLUMNS, make_plan
    from engine.config import load_config
    from engine.research.registry import resolve_model_dir

    console = Console()
    try:
        config = load_config(None, ["risk.profile=guardrails", *(overrides or [])])
        run = make_plan(data, out, models_dir=resolve_model_dir(resolve_repo_path(models)), config=config)
    except AureusError as e:
        raise fail(f"plan failed: {describe(e)}") from e
    table = Table(title=f"trade plan as of {run['as_of']} ({run['model_version']}, profile {run['profile']})")
    for col in PLAN_COLUMNS:
        table.add_column(col)
    with (out / "trade_plan.csv").open() as f:
        for row in list(csv.reader(f))[1:]:
            table.add_row(*[_short_cell(c) for c in row])
    console.print(table)
    cov = run["coverage"]
    console.print(
        f"{cov['signals_count']} signals of {cov['candidates_count']} candidates "
        f"({cov['coverage_pct']:.1f}%), {cov['planned_count']} planned; audit: {out}/trade_plan_audit.csv"
    )


def health_command(
    run: Annotated[Path, typer.Option("--run", help="A plan run directory (aureus plan --out).")],
    out: Annotated[
        Path | None, typer.Option("--out", help="Where to write the report (default: --run).")
    ] = None,
) -> None:
    """Daily health checks with seed 003's severities; exit 1 when any ERROR is found."""
    from aureus.daily_health import daily_health

    console = Console()
    try:
        path, report = daily_health(run, out)
    except AureusError as e:
        raise fail(f"health failed: {describe(e)}") from e
    colour = {"ERROR": "red", "WARNING": "yellow", "INFO": "dim"}
    for f in report["findings"]:
        console.print(f"[{colour[f['severity']]}]{f['severity']}[/] {f['code']}: {escape(f['message'])}")
    console.print(f"status={report['status']} -> {path}")
    if report["status"] == "ERROR":
        raise typer.Exit(code=1)


def _short_cell(cell: str) -> str:
    try:
        value = float(cell)
    except ValueError:
        return cell
    return cell if value.is_integer() and "." not in cell else f"{value:.4g}"
