"""``aureus risk``: inspect the persisted risk state; record an operator override or a SANITY_JUDGE answer.

These are operator actions on the state store: the embedded file store in ``--state`` (default
``runs/latest/state``, the directory a plain ``aureus replay`` writes), or Redis with
``--set store.backend=redis``. A ``--state`` that holds no risk state is refused unless ``--init`` (a typo
would otherwise create a fresh state where nothing reads it); approvals and state are range-checked.

Their records are stamped with the wall clock: they are
metadata about a person's or a model's decision, never an input to a trading decision's timing.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import msgspec
import typer
from rich.console import Console

risk_app = typer.Typer(
    name="risk", help="Risk state: status, overrides, quarantine approvals.", no_args_is_help=True
)

StateOption = Annotated[
    Path | None,
    typer.Option(
        "--state",
        help="Embedded state directory (default: runs/latest/state, where a plain `aureus replay` writes).",
    ),
]
InitOption = Annotated[
    bool, typer.Option("--init", help="Create a fresh risk state when --state holds none.")
]
ConfigOption = Annotated[Path | None, typer.Option("--config", "-c", help="TOML config file.")]
SetOption = Annotated[list[str] | None, typer.Option("--set", help="Override a config key (repeatable).")]

_out = Console()


@risk_app.callback()
def _risk_group() -> None:
    """Risk state: status, overrides, quarantine approvals."""


def _supervisor(
    config: Path | None,
    set_: list[str] | None,
    state: Path | None,
    *,
    init: bool = False,
    read_only: bool = False,
):
    from aureus.risk_inputs import open_checked_supervisor
    from engine.config import load_config

    cfg = load_config(config, list(set_ or []))
    return cfg, open_checked_supervisor(cfg, state, init=init, read_only=read_only)


def _print_state(supervisor) -> None:
    state = supervisor.state
    _out.print(
        f"[bold]mode[/] {supervisor.mode} (configured {state.configured_mode})  "
        f"[bold]trading[/] {supervisor.trading_state}  [bold]day[/] {state.day or '-'}  "
        f"[bold]kill switch[/] {state.activations}x"
    )
    _out.print(f"kill days: {', '.join(state.kill_days) or '-'}")
    _out.print(f"quarantine: {state.quarantine_remaining} trading day(s) of demo left")
    _out.print(f"quarantine days served: {', '.join(supervisor.quarantine_days) or '-'}")
    _out.print(f"last flatten: {msgspec.to_builtins(state.last_flatten) if state.last_flatten else '-'}")


@risk_app.command("status")
def status(
    state: StateOption = None,
    config: ConfigOption = None,
    set_: SetOption = None,
    json_: Annotated[bool, typer.Option("--json", help="Print the whole state document as JSON.")] = False,
    init: InitOption = False,
) -> None:
    """Show mode, trading state, kill-switch days and the quarantine calendar (reads only, never writes;
    ``--init`` writes a fresh state first)."""
    _, supervisor = _supervisor(config, set_, state, init=init, read_only=not init)
    if json_:
        typer.echo(msgspec.json.format(msgspec.json.encode(supervisor.state), indent=2).decode())
    else:
        _print_state(supervisor)


@risk_app.command("override")
def override(
    by: Annotated[str, typer.Option("--by", help="Who takes responsibility (name or role).")],
    reason: Annotated[str, typer.Option("--reason", help="Why the next trading day may run outside demo.")],
    state: StateOption = None,
    config: ConfigOption = None,
    set_: SetOption = None,
    init: InitOption = False,
) -> None:
    """Record an override: the trading day after a kill runs in the configured mode, not demo.

    It does not clear a quarantine: only a SANITY_JUDGE approval does (``aureus risk approve``)."""
    from aureus.risk_inputs import require_text

    by, reason = require_text("--by", by), require_text("--reason", reason)
    _, supervisor = _supervisor(config, set_, state, init=init)
    supervisor.record_override(time.time_ns(), by=by, reason=reason)
    _print_state(supervisor)


@risk_app.command("approve")
def approve(
    response: Annotated[
        Path, typer.Option("--response", help="SANITY_JUDGE answer as JSON (seed 001 format).")
    ],
    call_id: Annotated[str, typer.Option("--call-id", help="Id of the escalation call that produced it.")],
    state: StateOption = None,
    config: ConfigOption = None,
    set_: SetOption = None,
    init: InitOption = False,
) -> None:
    """Record a SANITY_JUDGE answer; ``"stay_demo": false`` clears an active quarantine at once."""
    from aureus.risk_inputs import open_checked_supervisor, read_approval, require_text
    from engine.config import load_config

    call_id = require_text("--call-id", call_id)
    cfg = load_config(config, list(set_ or []))
    answer = read_approval(response, cfg)
    supervisor = open_checked_supervisor(cfg, state, init=init)
    supervisor.record_sanity_judge(time.time_ns(), answer, call_id=call_id)
    _print_state(supervisor)
