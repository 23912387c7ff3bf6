"""``aureus sim``: the research simulator on a recording, and its trade-by-trade check against a replay."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

sim_app = typer.Typer(name="sim", help="Research simulator (numba): replay outputs at research speed.")

ConfigOption = Annotated[Path | None, typer.Option("--config", "-c", help="TOML config file.")]
SetOption = Annotated[list[str] | None, typer.Option("--set", help="Override a config key (repeatable).")]

_out = Console()


@sim_app.callback(invoke_without_command=True)
def sim(
    ctx: typer.Context,
    data: Annotated[Path | None, typer.Option(help="Recording directory.")] = None,
    config: ConfigOption = None,
    out: Annotated[
        Path, typer.Option(help="Output directory for report.json, trades.jsonl, equity.csv.")
    ] = Path("runs/sim"),
    set_: SetOption = None,
) -> None:
    """Simulate the meta-ensemble strategy on a recording; writes the replay's output files."""
    if ctx.invoked_subcommand is not None:
        return
    if data is None:
        raise typer.BadParameter("--data is required", param_hint="--data")
    from aureus.sim_run import run_sim
    from engine.config import load_config

    report = run_sim(load_config(config, list(set_ or [])), data=data, out=out)
    t = report["timings_s"]
    _out.print(
        f"[bold]sim done[/]: {report['bars']} bars, {report['trades']} trades, "
        f"total_return {report['total_return']:+.4%}, max_drawdown {report['max_drawdown']:.4%}, "
        f"exits {report['exit_reasons']}; load {t['load']:.3f} s, decisions {t['decisions']:.3f} s, "
        f"kernel {t['kernel']:.4f} s"
    )
    _out.print(f"report: {out / 'report.json'}")


@sim_app.command("compare")
def compare_cmd(
    replay: Annotated[Path, typer.Argument(help="trades.jsonl of an `aureus replay`.")],
    sim_trades: Annotated[Path, typer.Argument(help="trades.jsonl of an `aureus sim`.")],
    show: Annotated[int, typer.Option(help="How many differences to print.")] = 20,
    decisions: Annotated[
        Path | None, typer.Option(help="The replay's decisions.jsonl: also compare decision by decision.")
    ] = None,
    data: Annotated[Path | None, typer.Option(help="The recording (needed with --decisions).")] = None,
    config: ConfigOption = None,
    set_: SetOption = None,
) -> None:
    """Trade-by-trade agreement: entry and exit bar, side and size; total P&L difference."""
    from aureus.sim_compare import compare, read_trades

    if decisions is not None:
        if data is None:
            raise typer.BadParameter("--decisions needs --data", param_hint="--data")
        _compare_decisions(decisions, data, config, set_)

    a = compare(read_trades(replay), read_trades(sim_trades))
    _out.print(
        f"replay {a.replay_trades} trades, sim {a.sim_trades}; identical {a.identical} "
        f"({a.identical_pct:.2f}%); P&L replay {a.replay_pnl:.4f}, sim {a.sim_pnl:.4f} "
        f"(diff {a.pnl_diff_pct:.3f}%)"
    )
    for d in a.diffs[:show]:
        r, s = d.replay, d.sim
        _out.print(
            f"  {d.symbol} {d.timestamp} {','.join(d.fields)}: replay "
            f"{(r.direction, r.exit_timestamp, r.size_post_risk, r.entry_price) if r else '-'} sim "
            f"{(s.direction, s.exit_timestamp, s.size_post_risk, s.entry_price) if s else '-'}"
        )


def _compare_decisions(path: Path, data: Path, config: Path | None, set_: list[str] | None) -> None:
    from aureus.sim_compare import compare_decisions
    from aureus.sim_run import decisions_for, load_bars
    from engine.config import load_config

    cfg = load_config(config, list(set_ or []))
    bars, specs, news, manifest = load_bars(data)
    stream = decisions_for(cfg, bars, specs, news, manifest)
    a = compare_decisions(path, bars, stream)
    _out.print(
        f"decisions: replay {a.replay_decisions}, identical action and size {a.identical}, identical model "
        f"scores {a.identical_scores}, without a simulator decision {a.missing_in_sim}"
    )
