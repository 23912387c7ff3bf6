"""Console rendering of walk-forward results: the OOS table per fold and per regime."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

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
