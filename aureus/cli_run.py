"""``aureus run`` (the trading daemon), ``aureus record`` (topics -> recording) and the implementation of
``aureus replay --via-kafka`` (recording -> topics)."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from aureus.cli import ConfigOption, SetOption
from schemas.errors import AureusError

ENV_OVERRIDES = {"AUREUS_KAFKA_BOOTSTRAP": "kafka.bootstrap_servers", "AUREUS_REDIS_URL": "store.redis_url"}
"""Environment variables that set a config key (below ``--set``, above the config file)."""

_err = Console(stderr=True)


def env_overrides() -> list[str]:
    """``key="value"`` overrides from the environment variables of :data:`ENV_OVERRIDES` that are set."""
    return [f'{key}="{os.environ[var]}"' for var, key in ENV_OVERRIDES.items() if os.environ.get(var)]


def load_daemon_config(config: Path | None, set_: list[str] | None):
    """The config with environment overrides applied before the command line's ``--set``."""
    from engine.config import load_config

    return load_config(config, env_overrides() + list(set_ or []))


def run(
    mode: Annotated[
        str, typer.Option(help="demo (sandbox paper fills) or live (daemon.live venue adapter).")
    ] = "demo",
    config: ConfigOption = None,
    set_: SetOption = None,
    log_level: Annotated[str, typer.Option(help="Nautilus log level.")] = "INFO",
) -> None:
    """Run the trading daemon: Kafka in, the meta-ensemble strategy, orders out; SIGTERM stops it cleanly."""
    requested = _record_stop_signals()  # before the seconds of imports: a stop then is a clean exit too
    if mode not in ("demo", "live"):
        raise typer.BadParameter("--mode must be demo or live")
    from aureus.daemon import run_daemon

    cfg = load_daemon_config(config, set_)
    try:
        summary = asyncio.run(run_daemon(cfg, mode, log_level=log_level, stop_requested=requested))
    except AureusError as e:
        _err.print(f"[bold red]error:[/] {e}")
        _hard_exit(2)
    Console().print_json(data=summary)
    _hard_exit(0)


def _record_stop_signals() -> list[int]:
    """Record SIGTERM/SIGINT in the returned list until the daemon's event loop installs its handlers."""
    import signal

    requested: list[int] = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda signum, _frame: requested.append(signum))
    return requested


def _hard_exit(code: int) -> None:
    """Exit now, everything being flushed: a Nautilus node leaves non-daemon executor threads behind that
    can keep the interpreter from exiting after a shutdown it did not ask for."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def record(
    topics: Annotated[str, typer.Option(help="Comma-separated topics, e.g. md.bars,news.scored.")],
    out: Annotated[Path, typer.Option(help="Recording directory to write.")],
    config: ConfigOption = None,
    set_: SetOption = None,
    idle_timeout: Annotated[
        float, typer.Option(help="Stop after this many seconds without a message.")
    ] = 5.0,
    max_records: Annotated[int | None, typer.Option(help="Stop after this many messages.")] = None,
    instruments: Annotated[
        Path | None, typer.Option(help="Recording or JSON spec list naming the instruments (manifest).")
    ] = None,
    force: Annotated[bool, typer.Option(help="Replace a recording already in OUT.")] = False,
) -> None:
    """Record live topics into the recorded-stream format (read from the beginning, no consumer group)."""
    from adapters.kafka.recorder import record_topics
    from aureus.runtime.node import load_instrument_specs

    cfg = load_daemon_config(config, set_)
    specs = load_instrument_specs(instruments) if instruments else ()
    manifest = asyncio.run(
        record_topics(
            cfg.kafka.bootstrap_servers,
            [t.strip() for t in topics.split(",") if t.strip()],
            out,
            prefix=cfg.kafka.topic_prefix,
            instruments=specs,
            idle_timeout_s=idle_timeout,
            max_records=max_records,
            overwrite=force,
        )
    )
    counts = {t.topic: t.records for t in manifest.topics}
    Console().print(
        f"recorded {counts} (rejects {manifest.rejects}) content_hash {manifest.content_hash} -> {out}"
    )


def parse_speed(speed: str) -> float | None:
    """``max`` -> ``None`` (as fast as the broker acknowledges), else a positive float."""
    if speed == "max":
        return None
    try:
        value = float(speed)
    except ValueError:
        raise typer.BadParameter(f"--speed expects a number or 'max', got {speed!r}") from None
    if value <= 0:
        raise typer.BadParameter("--speed must be positive")
    return value


def replay_via_kafka(cfg, data: Path | None, speed: str) -> None:
    """Publish a recording onto its topics in time order (called by ``aureus replay --via-kafka``)."""
    from adapters.kafka.replayer import publish_recording
    from aureus.daemon import publisher_config
    from aureus.replay import default_synthetic_recording

    path = Path(data) if data is not None else default_synthetic_recording(cfg, _err)
    sent = asyncio.run(publish_recording(path, publisher_config(cfg), speed=parse_speed(speed)))
    Console().print(
        f"published {dict(sent)} to {cfg.kafka.bootstrap_servers} (prefix {cfg.kafka.topic_prefix!r})"
    )


def register(app: typer.Typer) -> None:
    """Add ``run`` and ``record`` to the main app."""
    app.command("run")(run)
    app.command("record")(record)
