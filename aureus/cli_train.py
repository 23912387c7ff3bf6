"""``aureus train``: train the baseline models from a recording (see :mod:`aureus.train`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from aureus.cli_errors import EXPECTED_ERRORS, describe, fail, removed_on_failure
from aureus.cli_progress import step_progress

train_app = typer.Typer(name="train", help="Train models from recorded streams.", no_args_is_help=True)

# (metric key, column header): short headers keep the table readable in an 80-column terminal.
_METRIC_COLUMNS = (
    ("auc", "AUC"),
    ("log_loss", "logloss"),
    ("brier", "Brier"),
    ("accuracy", "acc"),
    ("base_rate", "base"),
    ("n_train", "n_train"),
    ("n_valid", "n_valid"),
)


@train_app.callback()
def _train_group() -> None:
    """Train models from recorded streams."""


@train_app.command("baseline")
def baseline(
    data: Annotated[Path, typer.Option("--data", help="Recording directory with md.bars.")],
    out: Annotated[Path, typer.Option("--out", help="Output directory for ONNX models and manifests.")],
    seed: Annotated[int, typer.Option("--seed", help="Seed of every random choice in training.")] = 7,
    overrides: Annotated[
        list[str] | None,
        typer.Option(
            "--set", help="key=value override (TrainConfig field, or features.<FeatureParams field>)."
        ),
    ] = None,
) -> None:
    """Train p_short (5-bar) and p_mid (60-bar) LightGBM classifiers, export ONNX and write manifests."""
    from aureus.train import parse_overrides, train_baseline

    console = Console()
    try:
        config, params = parse_overrides(overrides or [])
        with removed_on_failure(out), step_progress(console) as on_step:
            models = train_baseline(
                data, out, seed=seed, config=config, feature_params=params, on_step=on_step
            )
    except EXPECTED_ERRORS as e:
        raise fail(f"training failed: {describe(e)}") from e

    table = Table(title=f"validation metrics ({config.version}, seed {seed})")
    table.add_column("model")
    table.add_column("h", justify="right")
    for _, header in _METRIC_COLUMNS:
        table.add_column(header, justify="right")
    for model in models:
        m = model.manifest.metrics
        cells = [_fmt(m.get(key)) for key, _ in _METRIC_COLUMNS]
        table.add_row(model.name, str(model.manifest.horizon_bars), *cells)
    console.print(table)
    for model in models:
        console.print(
            f"{model.onnx_path}  sha256 {model.manifest.onnx_sha256[:16]}…  "
            f"split train≤{model.manifest.split.train_end} valid≥{model.manifest.split.valid_start} "
            f"(gap {model.manifest.split.gap_bars} bars)"
        )


def _fmt(value: float | int | None) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, int):
        return str(value)
    return f"{value:.4f}"


@train_app.command("walkforward")
def walkforward(
    data: Annotated[Path, typer.Option("--data", help="Recording directory with md.bars.")],
    out: Annotated[Path, typer.Option("--out", help="Output directory for the model set and its reports.")],
    seed: Annotated[int, typer.Option("--seed", help="Seed of every random choice in training.")] = 7,
    overrides: Annotated[
        list[str] | None,
        typer.Option("--set", help="key=value override (WalkForwardConfig field, or features.<field>)."),
    ] = None,
) -> None:
    """Walk-forward study: purged folds, per-regime calibration, OOS report and a calibrated ONNX set."""
    from aureus.cli_research import print_walkforward
    from aureus.walkforward import parse_walkforward_overrides, run_walkforward

    console = Console()
    config, params = parse_walkforward_overrides(overrides or [])
    with removed_on_failure(out):
        result = run_walkforward(
            data,
            out,
            seed=seed,
            config=config,
            feature_params=params,
            on_step=lambda msg: console.print(f"[dim]{msg}[/dim]"),
        )
    print_walkforward(console, result.metrics)
    console.print(
        f"wrote {result.out_dir}: {', '.join(result.models)}, metrics.json, oos_predictions.csv, PNGs"
    )
