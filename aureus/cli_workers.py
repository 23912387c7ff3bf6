"""Stream-worker commands: ``worker news|alerts|audit``, ``news score``, ``alerts subscribe``,
``audit verify``; mounts ``train sentiment`` (:mod:`aureus.cli_sentiment`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from aureus.cli import ConfigOption, SetOption

worker_app = typer.Typer(
    name="worker", help="Run a stream worker (faust) in this process.", no_args_is_help=True
)
news_app = typer.Typer(name="news", help="News processing offline.", no_args_is_help=True)
alerts_app = typer.Typer(name="alerts", help="Alert subscribers.", no_args_is_help=True)
audit_app = typer.Typer(name="audit", help="The hash-chained audit ledger.", no_args_is_help=True)

_out = Console()


def _run_faust(app, config) -> None:
    import faust
    from prometheus_client import start_http_server

    if config.workers.metrics_port:
        start_http_server(config.workers.metrics_port)
    faust.Worker(app, loglevel="info").execute_from_commandline()


def _config(config: Path | None, set_: list[str] | None):
    from engine.config import load_config

    return load_config(config, list(set_ or []))


@worker_app.command("news")
def worker_news(config: ConfigOption = None, set_: SetOption = None) -> None:
    """news.raw -> normalise, dedup, link, quality, sentiment -> news.scored."""
    from streams.news.app import create_app

    cfg = _config(config, set_)
    _run_faust(create_app(cfg), cfg)


@worker_app.command("alerts")
def worker_alerts(config: ConfigOption = None, set_: SetOption = None) -> None:
    """alerts -> the subscriptions in alerts.subscriptions (console, webhook, Telegram)."""
    from streams.alerts.app import create_app

    cfg = _config(config, set_)
    _run_faust(create_app(cfg), cfg)


@worker_app.command("audit")
def worker_audit(config: ConfigOption = None, set_: SetOption = None) -> None:
    """orders, fills, risk, control -> hash-chained ledger (audit.ledger_path) and the audit topic."""
    from streams.audit.app import create_app

    cfg = _config(config, set_)
    _run_faust(create_app(cfg), cfg)


@news_app.command("score")
def news_score(
    rec: Annotated[Path, typer.Argument(help="Recording directory with news.raw.")],
    out: Annotated[Path | None, typer.Option(help="Write here instead of updating REC in place.")] = None,
    config: ConfigOption = None,
    set_: SetOption = None,
) -> None:
    """Run the news processors over REC's news.raw and add news.scored (replaces an existing one)."""
    from streams.news.offline import score_recording

    cfg = _config(config, set_)
    manifest, counts = score_recording(rec, cfg.news_worker, out=out)
    table = Table(title=f"news scored into {out or rec}")
    table.add_column("count")
    table.add_column("n", justify="right")
    for key in sorted(counts):
        table.add_row(key, str(counts[key]))
    _out.print(table)
    _out.print(f"content_hash {manifest.content_hash}")


@alerts_app.command("subscribe")
def alerts_subscribe(
    sink: Annotated[str, typer.Option(help="console | webhook | telegram")] = "console",
    url: Annotated[str, typer.Option(help="Webhook URL (sink webhook).")] = "",
    severity: Annotated[
        str, typer.Option(help="Lowest severity delivered: info | warning | critical.")
    ] = "info",
    code: Annotated[
        list[str] | None, typer.Option(help="Code pattern (fnmatch, repeatable); default all.")
    ] = None,
    topic: Annotated[
        list[str] | None, typer.Option(help="Only alerts tagged with this topic (repeatable).")
    ] = None,
    name: Annotated[str, typer.Option(help="Subscriber name; its own consumer group.")] = "cli",
    config: ConfigOption = None,
    set_: SetOption = None,
) -> None:
    """Deliver matching alerts from the alerts topic until stopped."""
    import msgspec

    from engine.config import AlertSubscription
    from engine.errors import ConfigError
    from streams.alerts.app import create_app

    try:
        sub = msgspec.convert(
            {
                "name": name,
                "sink": sink,
                "url": url,
                "severity": severity,
                "codes": tuple(code or ("*",)),
                "topics": tuple(topic or ()),
            },
            AlertSubscription,
        )
    except msgspec.ValidationError as e:
        raise ConfigError(f"alerts subscribe: {e}") from e
    cfg = _config(config, set_)
    _run_faust(create_app(cfg, (sub,), name=f"alerts-{name}"), cfg)


@audit_app.command("verify")
def audit_verify(ledger: Annotated[Path, typer.Argument(help="audit.jsonl ledger file.")]) -> None:
    """Check the hash chain; name the first bad sequence number (exit 1) or print OK."""
    from adapters.audit.ledger import verify_ledger

    result = verify_ledger(ledger)
    if result.ok:
        anchor = (
            "head anchor matches" if result.anchored else "no head anchor: deletions at the end undetectable"
        )
        _out.print(f"[green]OK[/]: {result.records} records, chain verifies ({anchor})")
        return
    _out.print(f"[red]BROKEN[/]: first bad seq {result.first_bad_seq}: {result.reason}")
    raise typer.Exit(code=1)


def mount(app: typer.Typer) -> None:
    """Register these commands on the root CLI (called from ``aureus.cli._mount_subcommands``)."""
    from aureus.cli_sentiment import sentiment
    from aureus.cli_train import train_app

    if any(c.name == "sentiment" for c in train_app.registered_commands):
        return
    train_app.command("sentiment")(sentiment)
    for sub in (worker_app, news_app, alerts_app, audit_app):
        app.add_typer(sub)
