"""``aureus escalate``, ``aureus status`` and ``aureus policy diff|rollback|history|show``: the escalation
control plane from the command line.

``escalate`` runs one request through the same service as the worker, without Kafka. Budget state is read
from Redis (``AUREUS_REDIS_URL`` or ``store.redis_url``); policy versions from the configured state store.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Annotated

import msgspec
import typer

from aureus.cli_errors import describe, fail

escalation_app = typer.Typer(add_completion=False)
policy_app = typer.Typer(
    name="policy", help="Policy versions: history, show, diff, rollback.", no_args_is_help=True
)

ConfigOption = Annotated[Path | None, typer.Option("--config", "-c", help="TOML config file.")]
SetOption = Annotated[list[str] | None, typer.Option("--set", help="Override a config key (repeatable).")]
StateOption = Annotated[
    Path | None, typer.Option("--state", help="Embedded state directory (default: store.path of the config).")
]

_JSON = msgspec.json.Encoder()


def _echo_json(value: object) -> None:
    typer.echo(msgspec.json.format(_JSON.encode(value), indent=2).decode())


def _config(config: Path | None, set_: list[str] | None):
    from aureus.cli_run import load_daemon_config

    return load_daemon_config(config, set_)  # AUREUS_KAFKA_BOOTSTRAP / AUREUS_REDIS_URL, then --set


@escalation_app.command("escalate")
def escalate(
    request: Annotated[Path, typer.Argument(help='Seed request object plus "call_type", as JSON.')],
    headline: Annotated[
        list[str] | None,
        typer.Option("--headline", help="Outside text shown to the model as untrusted data."),
    ] = None,
    apply: Annotated[
        bool,
        typer.Option(
            "--apply",
            help="Also apply the update to the state store as the node does (policy version; a GPT-5 "
            "SANITY_JUDGE decision goes to the risk supervisor). For runs without a node.",
        ),
    ] = False,
    ledger: Annotated[
        Path | None,
        typer.Option(
            "--ledger",
            help="Audit ledger the applied update and its risk events are appended to "
            "(default: audit.ledger_path; a replay's OUT/audit.jsonl continues that run's chain).",
        ),
    ] = None,
    config: ConfigOption = None,
    set_: SetOption = None,
    state: StateOption = None,
) -> None:
    """Run one escalation (GPT-5 within budget, else the local reasoner) and print the policy update or
    the rejection as JSON. Exit status 0 when an update is proposed, 1 otherwise."""
    from engine.policy.controller import PolicyController, apply_policy_control
    from engine.risk.supervisor import RiskSupervisor
    from streams.escalation.service import build_service, request_from_json

    cfg = _config(config, set_)
    req = request_from_json(request.read_bytes(), untrusted_text=tuple(headline or ()))
    service = build_service(cfg, state=state)
    outcome = service.handle(req)
    _echo_json(outcome)
    if apply and outcome.update is not None:
        controller = PolicyController(service.policies, service.limits)
        supervisor = RiskSupervisor(cfg.risk, cfg.mode, store=service.store)
        result, risk = apply_policy_control(controller, supervisor, outcome.update)
        if result.applied:
            _append_to_ledger(
                ledger or Path(cfg.audit.ledger_path),
                cfg.audit.topics,
                outcome.update,
                risk.events if risk else (),
            )
        _echo_json(
            {
                "applied": result.applied,
                "policy_version": result.policy.version,
                "alerts": result.alerts + (risk.alerts if risk else ()),
                "risk_events": risk.events if risk else (),
            }
        )
    raise typer.Exit(0 if outcome.status == "proposed" else 1)


def _append_to_ledger(path: Path, topics, update, risk_events) -> None:
    """Record an applied update as the audit worker would: the ``control`` message, then its risk events
    (a quarantine ended by GPT-5 is a ``quarantine_changed`` event), hash-chained after what is there."""
    from adapters.audit.ledger import LedgerWriter
    from schemas.codec import encode

    rows = [("control", update)] + [("risk", event) for event in risk_events]
    with LedgerWriter(path) as writer:
        for topic, message in rows:
            if topic in topics:
                writer.append(ts_event=message.ts_event, kind=topic, payload=encode(topic, message))


@escalation_app.command("status")
def status(
    config: ConfigOption = None,
    set_: SetOption = None,
    state: StateOption = None,
    json_: Annotated[bool, typer.Option("--json", help="Print the Learning Panel as JSON.")] = False,
) -> None:
    """The seed's Learning Panel: today's GPT-5 calls, policy version, blend weights, reward mix, feature
    toggles, mode and quarantine days left."""
    from adapters.llm import build_budget
    from adapters.state import open_store
    from engine.escalation.errors import BudgetUnavailableError
    from engine.escalation.processor import utc_day
    from engine.escalation.triggers import iso_utc
    from engine.policy.bounds import KNOWN_FEATURES
    from engine.policy.versions import PolicyStore
    from engine.risk.supervisor import RiskSupervisor

    cfg = _config(config, set_)
    store = open_store(cfg.store, path=state)
    policies = PolicyStore(store, cfg.policy)
    policy = policies.current()
    last_update = policies.record(policy.version).update
    supervisor = RiskSupervisor(cfg.risk, cfg.mode, store=store)
    budget = build_budget(cfg)
    try:
        calls: int | None = budget.used(utc_day(time.time_ns()))
    except BudgetUnavailableError:
        calls = None
    panel = {
        "gpt5_calls_today": calls,
        "gpt5_calls_limit": budget.limit,
        "policy_version": policy.version,
        "policy_updated_at": iso_utc(last_update.ts_event) if last_update else None,
        "blend_weights": msgspec.to_builtins(policy.blend_weights),
        "reward_coefficients": msgspec.to_builtins(policy.reward_coefficients),
        "feature_toggles": {name: name not in policy.disabled_features for name in sorted(KNOWN_FEATURES)},
        "features_frozen": policy.rl_only,
        "mode": supervisor.mode,
        "rl_only": policy.rl_only,
        "quarantine_days_left": supervisor.state.quarantine_remaining,
        "do_not_trade": [e.symbol for e in policy.do_not_trade_list],
    }
    if json_:
        _echo_json(panel)
        return
    used = "unavailable (Redis)" if calls is None else f"{calls}/{budget.limit}"
    off = [n for n, on in panel["feature_toggles"].items() if not on]
    typer.echo(f"GPT-5 calls today: {used}")
    typer.echo(f"policy version: {policy.version} (updated {panel['policy_updated_at'] or 'never'})")
    typer.echo(f"blend weights: {panel['blend_weights']}")
    typer.echo(f"reward mix: {panel['reward_coefficients']}")
    frozen = " (frozen)" if policy.rl_only else ""
    typer.echo(f"feature toggles: {'all on' if not off else 'off: ' + ', '.join(off)}{frozen}")
    typer.echo(f"mode: {supervisor.mode}{' (RL-only)' if policy.rl_only else ''}")
    typer.echo(f"quarantine: {supervisor.state.quarantine_remaining} day(s) left")


def _policies(config: Path | None, set_: list[str] | None, state: Path | None):
    from adapters.state import open_store
    from engine.policy.versions import PolicyStore

    cfg = _config(config, set_)
    return cfg, PolicyStore(open_store(cfg.store, path=state), cfg.policy)


@policy_app.command("history")
def history(config: ConfigOption = None, set_: SetOption = None, state: StateOption = None) -> None:
    """List the policy versions, oldest first; the last is in force."""
    _, store = _policies(config, set_, state)
    for version in store.history() or (store.current().version,):
        record = store.record(version)
        u = record.update
        typer.echo(f"{version}  {u.source + ': ' + u.reason if u else 'configured'}")


@policy_app.command("show")
def show(
    version: Annotated[str | None, typer.Argument(help="Version (default: the one in force).")] = None,
    config: ConfigOption = None,
    set_: SetOption = None,
    state: StateOption = None,
) -> None:
    """Print one policy version as JSON."""
    _, store = _policies(config, set_, state)
    _echo_json(store.record(version).policy if version else store.current())


@policy_app.command("diff")
def diff(
    a: Annotated[str, typer.Argument(help="Old version.")],
    b: Annotated[str, typer.Argument(help="New version.")],
    config: ConfigOption = None,
    set_: SetOption = None,
    state: StateOption = None,
) -> None:
    """Git-style diff between two policy versions."""
    from engine.policy.versions import diff_policies

    _, store = _policies(config, set_, state)
    typer.echo(diff_policies(store.record(a).policy, store.record(b).policy), nl=False)


@policy_app.command("rollback")
def rollback(
    version: Annotated[str, typer.Argument(help="The version whose parameters to restore.")],
    by: Annotated[str, typer.Option("--by", help="Who rolls back.")] = "operator",
    publish: Annotated[
        bool,
        typer.Option(
            "--publish/--local",
            help="Publish the rollback on control for the running node to apply (default), or apply it "
            "to the state store here (no node running).",
        ),
    ] = True,
    config: ConfigOption = None,
    set_: SetOption = None,
    state: StateOption = None,
) -> None:
    """Restore an old version's parameters as a new version: published on ``control`` (the node, the one
    writer of its policy, applies it) or, with ``--local``, recorded in the state store directly."""
    from engine.policy.bounds import PolicyLimits
    from engine.policy.versions import apply_and_commit, rollback_update

    cfg, store = _policies(config, set_, state)
    store.record(version)  # fails clearly on an unknown version
    update = rollback_update(store.current(), version, ts_event=time.time_ns(), by=by)
    if publish:
        from schemas.topics import CONTROL

        asyncio.run(publish_messages(cfg, CONTROL, [update]))  # keyed `policy` like every control update
        _echo_json({"published": True, "restores": version, "update": update})
        return
    limits = PolicyLimits.from_config(cfg.risk, cfg.escalation)
    policy, _ = apply_and_commit(store, update, limits)
    _echo_json({"version": policy.version, "restored": version, "update": update})


@escalation_app.command("options-oi")
def options_oi(
    snapshot: Annotated[Path, typer.Argument(help="Option-chain snapshot CSV (yfinance columns).")],
    at: Annotated[str, typer.Option("--at", help="When the snapshot was taken, ISO UTC (...T21:00:00Z).")],
    publish: Annotated[bool, typer.Option("--publish", help="Send them on md.options_oi.")] = False,
    config: ConfigOption = None,
    set_: SetOption = None,
) -> None:
    """Put/call open interest per underlying from a snapshot, as ``md.options_oi`` messages (printed as
    JSON; ``--publish`` sends them, keyed by underlying). Rows that cannot be read are listed, not dropped."""
    from adapters.importers.options_oi import read_put_call_snapshot
    from schemas.topics import MD_OPTIONS_OI
    from schemas.tradelog import parse_iso_utc

    try:
        snap = read_put_call_snapshot(snapshot)
    except UnicodeError as e:
        raise fail(f"{snapshot}: {describe(e)}") from e
    messages = snap.messages(parse_iso_utc(at))
    _echo_json({"messages": messages, "ratios": snap.ratios, "rejects": snap.rejects})
    if publish:
        asyncio.run(publish_messages(_config(config, set_), MD_OPTIONS_OI, messages))


async def publish_messages(cfg, topic: str, messages) -> None:
    """Send ``messages`` on ``topic`` under their DESIGN.md keys and wait for the broker's acks."""
    from aiokafka import AIOKafkaProducer
    from aiokafka.errors import KafkaError

    from engine.errors import EngineError
    from schemas.codec import encode
    from schemas.topics import message_key

    k = cfg.kafka
    producer = AIOKafkaProducer(
        bootstrap_servers=k.bootstrap_servers,
        client_id=f"{k.client_id}-{topic}",
        acks="all" if k.acks == "all" else int(k.acks),
        enable_idempotence=k.enable_idempotence,
    )
    try:
        await producer.start()
        sent = [
            await producer.send(k.topic_prefix + topic, encode(topic, m), key=message_key(topic, m).encode())
            for m in messages
        ]
        await asyncio.gather(*sent)
    except KafkaError as e:
        raise EngineError(f"{topic} not published to {k.bootstrap_servers}: {e}") from e
    finally:
        await producer.stop()


def worker_escalation(config: ConfigOption = None, set_: SetOption = None) -> None:
    """escalations -> GPT-5 (at most escalation.gpt5_calls_per_day a UTC day) or the local reasoner ->
    bounded policy update on control; alerts on alerts."""
    from aureus.cli_workers import _run_faust
    from streams.escalation.app import create_app

    cfg = _config(config, set_)
    _run_faust(create_app(cfg), cfg)  # the stream workers' runner (workers.metrics_port)


def mount(app: typer.Typer) -> None:
    """Add ``escalate``, ``status``, ``postmortem``, the ``policy`` group and ``worker escalation``."""
    app.add_typer(escalation_app)
    app.add_typer(policy_app)
    from aureus.cli_workers import worker_app

    worker_app.command("escalation")(worker_escalation)


def _jsonl(path: Path, kind) -> list:
    if not path.exists():
        return []
    decoder = msgspec.json.Decoder(kind)
    rows = []
    for n, line in enumerate(path.read_bytes().splitlines(), 1):
        if line.strip():
            try:
                rows.append(decoder.decode(line))
            except msgspec.DecodeError as e:
                raise fail(f"{path}:{n}: {e}") from e
    return rows


@escalation_app.command("postmortem")
def postmortem(
    run: Annotated[
        Path,
        typer.Option(
            "--run",
            help="Run directory: trades.jsonl, risk_events.jsonl, escalations.jsonl (the node's requests)"
            " and escalation_outcomes.jsonl (the worker's outcomes) when present.",
        ),
    ],
    day: Annotated[
        str | None,
        typer.Option("--day", help="UTC day YYYY-MM-DD (default: every day with trades or events)."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Directory for postmortem-DAY.md (default: RUN/postmortems).")
    ] = None,
    model: Annotated[
        bool, typer.Option(help="Ask the local reasoner for the analysis (off: template only).")
    ] = True,
    config: ConfigOption = None,
    set_: SetOption = None,
) -> None:
    """Write the nightly post-mortem(s): facts from the run, analysis by the local model if reachable."""
    from adapters.llm import build_reasoners
    from engine.escalation.postmortem import day_facts, write_postmortem
    from engine.escalation.processor import EscalationOutcome, utc_day
    from schemas.escalation import EscalationRequest
    from schemas.risk import RiskEvent
    from schemas.tradelog import TradeLogEntry

    if not (run / "trades.jsonl").is_file():
        raise fail(f"not a run directory (no trades.jsonl): {run}")
    cfg = _config(config, set_)
    trades = _jsonl(run / "trades.jsonl", TradeLogEntry)
    events = _jsonl(run / "risk_events.jsonl", RiskEvent)
    requests = _jsonl(run / "escalations.jsonl", EscalationRequest)
    outcomes = _jsonl(run / "escalation_outcomes.jsonl", EscalationOutcome)
    days = (
        [day] if day else sorted({t.timestamp[:10] for t in trades} | {utc_day(e.ts_event) for e in events})
    )
    local = build_reasoners(cfg)[1] if model else None
    if not days:
        typer.echo(f"no trades or risk events in {run}: no post-mortem to write")
        return
    target = out or run / "postmortems"
    target.mkdir(parents=True, exist_ok=True)
    for d in days:
        text, author = write_postmortem(day_facts(d, trades, events, outcomes, requests), local)
        (target / f"postmortem-{d}.md").write_text(text)
        typer.echo(f"{target / f'postmortem-{d}.md'} ({author})")
