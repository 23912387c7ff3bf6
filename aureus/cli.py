"""The ``aureus`` command line: replay, data import/synth, training, config inspection."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

app = typer.Typer(
    name="aureus",
    help="Aureus: event-driven streaming trading engine (NautilusTrader + numba + ONNX + meta-ensemble).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
config_app = typer.Typer(name="config", help="Inspect the effective configuration.", no_args_is_help=True)
app.add_typer(config_app)

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config", "-c", help="TOML config file (default: built-in defaults = configs/default.toml)."
    ),
]
SetOption = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override any config key: --set policy.thresholds.buy=0.7 (repeatable)."),
]

_err = Console(stderr=True)


@app.command()
def replay(
    data: Annotated[
        Path | None, typer.Option(help="Recording directory (default: the synthetic session).")
    ] = None,
    config: ConfigOption = None,
    out: Annotated[
        Path, typer.Option(help="Output directory for report.json, trades.jsonl, equity.csv/png.")
    ] = Path("runs/latest"),
    set_: SetOption = None,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
    state: Annotated[
        Path | None,
        typer.Option(
            help="Risk-state directory to resume from and keep (kill days, quarantine, mode); "
            "default: a fresh store in OUT/state."
        ),
    ] = None,
    via_kafka: Annotated[
        bool, typer.Option("--via-kafka", help="Publish the recording onto the Kafka topics instead.")
    ] = False,
    speed: Annotated[
        str, typer.Option(help="With --via-kafka: recorded seconds per second, or max.")
    ] = "max",
) -> None:
    """Replay a recorded stream through the meta-ensemble strategy in a Nautilus BacktestEngine."""
    from aureus.preflight import preflight_replay
    from aureus.replay import run_replay
    from engine.config import load_config

    if via_kafka:
        from aureus.cli_run import load_daemon_config, replay_via_kafka

        return replay_via_kafka(load_daemon_config(config, set_), data, speed)

    overrides = list(set_ or [])
    if not progress:
        overrides.append("replay.progress=false")
    cfg = load_config(config, overrides)
    preflight_replay(cfg, data)  # models and recording before any data is loaded
    report = run_replay(cfg, data=data, out=out, console=_err, state=state)
    console = Console()
    console.print(
        f"[bold]replay done[/]: {report['bars']} bars, {report['orders']} orders, {report['fills']} fills, "
        f"{report['trades']} trades, total_return {report['total_return']:+.4%}, "
        f"max_drawdown {report['max_drawdown']:.4%}, sharpe_daily {_rounded(report['sharpe_daily'])}, "
        f"{report['events_per_s']} events/s"
    )
    if report["rl_model"] == "missing":
        console.print(
            "[yellow]RL size-hint model missing: predictors only, weights renormalised, sizes halved[/]"
        )
    console.print(
        f"risk: mode {report['final_mode']}, kill switch {report['kill_switch_activations']}x "
        f"{report['kill_switch_days']}, quarantine days {len(report['quarantine_days'])}, "
        f"clamps {report['clamp_reductions']} reduced / {report['clamp_rejections']} rejected, "
        f"max name exposure {report['max_name_exposure_pct']:.3f}%"
    )
    if report.get("instruments_short_of_warmup"):
        console.print(
            f"[yellow]warning:[/] fewer bars than the features' {report['warmup_bars']}-bar warm-up for "
            f"{len(report['instruments_short_of_warmup'])} instrument(s): no decisions there"
        )
    console.print(f"report: {out / 'report.json'}", markup=False)


@config_app.command("show")
def config_show(config: ConfigOption = None, set_: SetOption = None) -> None:
    """Print the effective config (defaults + file + --set overrides) as TOML, and its hash."""
    from engine.config import config_hash, config_to_toml, load_config

    cfg = load_config(config, list(set_ or []))
    typer.echo(config_to_toml(cfg).decode())
    typer.echo(f"# config_hash = {config_hash(cfg)}")


def _mount_subcommands() -> None:
    from aureus.cli_data import data_app
    from aureus.cli_escalation import mount as mount_escalation
    from aureus.cli_models import models_app
    from aureus.cli_research import register_research_commands
    from aureus.cli_risk import risk_app
    from aureus.cli_run import register as register_daemon_commands
    from aureus.cli_sim import sim_app
    from aureus.cli_train import train_app
    from aureus.cli_workers import mount as mount_workers

    app.add_typer(data_app)
    app.add_typer(train_app)
    app.add_typer(risk_app)
    register_daemon_commands(app)
    app.add_typer(sim_app)
    __import__("aureus.cli_decisions").cli_decisions.register_decisions(app)
    mount_escalation(app)
    app.add_typer(models_app)
    register_research_commands(app)
    mount_workers(app)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: every expected failure is one line on stderr and exit code 2 (see cli_errors)."""
    from aureus.cli_errors import run_cli
    from aureus.logging import configure_logging

    configure_logging()
    _mount_subcommands()
    run_cli(app, argv)


def _rounded(value: object) -> object:
    """A metric for the one-line summary: floats to 3 decimals (report.json keeps full precision)."""
    return f"{value:.3f}" if isinstance(value, float) else value
