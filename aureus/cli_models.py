"""``aureus models``: list, show, add, promote and roll back versioned model sets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from aureus.cli_errors import describe, fail
from schemas.errors import AureusError

models_app = typer.Typer(
    name="models", help="Versioned model sets and their promotion.", no_args_is_help=True
)
_console = Console()

RootOption = Annotated[Path, typer.Option("--root", help="Directory holding the model sets.")]
DEFAULT_ROOT = Path("models")
DEFAULT_MIN_OBSERVATION_DAYS = 10


def _load_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except OSError as e:
        raise fail(f"cannot read {path}: {describe(e)}") from e
    except ValueError as e:
        raise fail(f"cannot read {path}: not JSON ({e})") from e


def _require_root(root: Path) -> None:
    if not root.is_dir():
        raise fail(f"model root not found: {root} (pass --root DIR)")


def _require_set(root: Path, model_set: str) -> None:
    _require_root(root)
    if not (root / model_set).is_dir():
        known = ", ".join(sorted(p.name for p in root.iterdir() if p.is_dir())) or "none"
        raise fail(f"no model set {model_set!r} under {root} (sets: {known})")


@models_app.command("list")
def list_command(root: RootOption = DEFAULT_ROOT) -> None:
    """Every set, its versions, the promoted one and each version's OOS AUC / Brier / ECE."""
    from engine.research.registry import list_sets, read_state

    _require_root(root)
    table = Table(title=f"model sets under {root}")
    for col in ("set", "version", "promoted", "data", "OOS AUC", "Brier", "ECE cal", "days"):
        table.add_column(col)
    for model_set, versions in list_sets(root).items():
        promoted = read_state(root, model_set).promoted
        for version in versions:
            m = _load_json(root / model_set / version / "metrics.json")
            oos = m.get("oos", {})
            table.add_row(
                model_set,
                version,
                "*" if version == promoted else "",
                m.get("data_regime", "?"),
                *(
                    f"{oos.get(k):.4f}" if oos.get(k) is not None else "n/a"
                    for k in ("auc", "brier", "ece_cal")
                ),
                str(m.get("observation_days")),
            )
    _console.print(table)


@models_app.command("show")
def show_command(
    model_set: str, version: Annotated[str | None, typer.Argument()] = None, root: RootOption = DEFAULT_ROOT
) -> None:
    """The OOS tables of a version (default: the promoted one) and the set's promotion history."""
    from aureus.cli_research import print_walkforward
    from engine.research.registry import read_state, version_dir

    _require_set(root, model_set)
    state = read_state(root, model_set)
    try:
        chosen = version or state.promoted
        if chosen is None:
            raise AureusError(f"{model_set} has no promoted version; name one")
        path = version_dir(root, model_set, chosen)
    except AureusError as e:
        raise fail(e) from e
    _console.print(f"{model_set}/{chosen}  promoted={state.promoted}  history={state.history}")
    print_walkforward(_console, _load_json(path / "metrics.json"))
    for d in state.decisions:
        _console.print(f"decision: {d.get('version')} -> {d.get('status')} {d.get('reasons', '')}")


@models_app.command("add")
def add_command(
    model_set: str,
    version: str,
    source: Annotated[Path, typer.Option("--from", help="A walk-forward output directory.")],
    root: RootOption = DEFAULT_ROOT,
) -> None:
    """Register a walk-forward output as an immutable version of a set (a candidate)."""
    from engine.research.registry import add_version

    try:
        path = add_version(root, model_set, version, source)
    except AureusError as e:
        raise fail(e) from e
    _console.print(f"added {path}")


@models_app.command("promote")
def promote_command(
    model_set: str,
    version: str,
    replay: Annotated[
        Path | None, typer.Option("--replay", help="Replay run dir with the candidate.")
    ] = None,
    baseline_replay: Annotated[
        Path | None,
        typer.Option("--baseline-replay", help="Replay run dir of the same data with the baseline."),
    ] = None,
    min_observation_days: Annotated[int, typer.Option(help="Minimum observed days (OOS and replay).")] = (
        DEFAULT_MIN_OBSERVATION_DAYS
    ),
    candidates: Annotated[
        int | None, typer.Option(help="Candidates tried (deflated Sharpe); default: versions in the set.")
    ] = None,
    root: RootOption = DEFAULT_ROOT,
) -> None:
    """Promote a version only if it is on real data, observed long enough and beats the baseline."""
    import numpy as np

    from engine.research.promotion import decide
    from engine.research.registry import list_sets, record_promotion, verify_version, version_dir

    try:
        path = version_dir(root, model_set, version)
        verify_version(path)
    except AureusError as e:
        raise fail(e) from e
    cand_report = _load_json(replay / "report.json") if replay else None
    base_report = _load_json(baseline_replay / "report.json") if baseline_replay else None
    returns = _daily_returns(replay, cand_report) if replay and cand_report else None
    n = candidates if candidates is not None else len(list_sets(root).get(model_set, [])) or 1
    decision = decide(
        _load_json(path / "metrics.json"),
        min_observation_days=min_observation_days,
        candidate_replay=cand_report,
        baseline_replay=base_report,
        candidate_daily_returns=None if returns is None else np.asarray(returns),
        n_candidates=n,
    )
    decision["replay"] = str(replay) if replay else None
    decision["baseline_replay"] = str(baseline_replay) if baseline_replay else None
    state = record_promotion(root, model_set, version, decision)
    for c in decision["checks"]:
        mark = "[green]ok[/green]" if c["ok"] else "[red]FAIL[/red]"
        _console.print(f"{mark} {c['check']}: {c['detail']}")
    dsr = decision["deflated_sharpe"]
    if dsr:
        _console.print(
            f"deflated Sharpe over {dsr['n_trials']} candidates: DSR {dsr['dsr']:.4f} "
            f"(daily SR {dsr['sharpe']:.4f}, null threshold {dsr['sharpe_threshold']:.4f}, "
            f"{dsr['n_obs']} days)"
        )
    _console.print(f"status={decision['status']} promoted={state.promoted}")
    if decision["status"] != "promoted":
        raise typer.Exit(code=1)


@models_app.command("rollback")
def rollback_command(model_set: str, root: RootOption = DEFAULT_ROOT) -> None:
    """Make the previously promoted version the promoted one again (files are untouched)."""
    from engine.research.registry import rollback

    _require_set(root, model_set)
    try:
        state = rollback(root, model_set)
    except AureusError as e:
        raise fail(e) from e
    _console.print(f"{model_set}: promoted={state.promoted}")


def _daily_returns(run_dir: Path, report: dict[str, Any]) -> list[float] | None:
    import csv
    from datetime import datetime

    from engine.metrics import daily_returns

    equity = run_dir / "equity.csv"
    if not equity.is_file():
        return None
    ts, nav = [], []
    with equity.open() as f:
        for row in csv.DictReader(f):
            ts.append(int(datetime.fromisoformat(row["ts"].replace("Z", "+00:00")).timestamp()) * 10**9)
            nav.append(float(row["nav"]))
    return list(daily_returns(ts, nav, float(report.get("starting_nav", nav[0] if nav else 1.0))))
