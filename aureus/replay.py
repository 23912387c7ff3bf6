"""Paper-trading replay: a recorded stream through the meta-ensemble strategy inside a BacktestEngine."""

from __future__ import annotations

import gc
import time
from collections import Counter
from pathlib import Path

import msgspec
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from adapters.nautilus_data import BarConverter, news_to_custom_data
from adapters.recorded import open_recording
from aureus.model_sets import models_dir_for
from aureus.paths import REPO_ROOT, resolve_repo_path
from aureus.report import ReplayOutputs, write_outputs
from aureus.report_extras import PriceRange
from aureus.run_dir import RunDirectory
from aureus.runtime.backtest import bar_type_for, build_backtest_engine
from engine.config import AureusConfig, config_hash
from engine.errors import EngineError
from engine.escalation.sink import EscalationSink
from engine.features.vector import warmup_bars
from engine.research.registry import resolve_model_dir
from engine.risk.notices import alert
from engine.sink import CollectingSink
from schemas.market import Bar, NewsScored
from schemas.recording import SCHEMA_VERSION as RECORDING_SCHEMA_VERSION
from strategies.meta_ensemble import MetaEnsembleConfig, MetaEnsembleStrategy
from strategies.news_data import NEWS_CLIENT_ID, NEWS_DATA_TYPE, ScoredNewsData
from streams.audit.run_ledger import write_run_ledger


def default_synthetic_recording(config: AureusConfig, console: Console | None = None) -> Path:
    """The embedded default: a synthetic session generated once per (seed, days) under ``.cache/``."""
    from adapters.synthetic import synthesize

    seed, days = config.replay.synthetic_seed, config.replay.synthetic_days
    # the manifest version is in the name: a cache written by an older build is never reused
    path = REPO_ROOT / ".cache" / f"synthetic-seed{seed}-days{days}-v{RECORDING_SCHEMA_VERSION}"
    if not (path / "manifest.json").is_file():
        if console:
            console.print(f"generating the synthetic session (seed={seed}, days={days}) in {path}")
        synthesize(seed, path, days=days)
    return path


def run_replay(
    config: AureusConfig,
    *,
    data: Path | None,
    out: Path,
    console: Console | None = None,
    state: Path | None = None,
    engine_hook=None,
) -> dict:
    """Replay a recording (or the synthetic default) and write report.json, trades.jsonl, equity.csv/png.

    Risk state (kill-switch days, quarantine calendar, mode, SIP ledger) lives in an embedded file store:
    ``state`` resumes from (and keeps writing to) that directory, as a restarted node would; without it the
    run starts from a fresh store in ``out/state``, so the same data and config give the same trades.
    Outputs go to a new run directory that ``out`` (a link) points to only once the run is complete
    (:mod:`aureus.run_dir`): a failed or killed run leaves the previous run and its state as they were,
    and a second replay into the same ``out`` while one runs is refused.
    ``engine_hook(engine)`` may register extra components (tests add a second execution client).

    Returns
    -------
    dict
        The report written to ``out/report.json``.
    """
    console = console or Console(stderr=True)
    data_path = Path(data) if data is not None else default_synthetic_recording(config, console)
    recording = open_recording(data_path)
    manifest = recording.verify()
    if "md.bars" not in recording.topics:
        raise EngineError(
            f"{data_path}: recording has no md.bars topic (has {list(recording.topics)}); "
            "the meta-ensemble trades on bars"
        )
    with RunDirectory(Path(out)) as run:
        report = _run(config, recording, manifest, data_path, run, console, state, engine_hook)
        run.commit(run_id=report["run_id"], config_hash=report["config_hash"])
    return report


def _run(config, recording, manifest, data_path, run, console, state, engine_hook) -> dict:
    specs = manifest.instruments
    engine = build_backtest_engine(config, specs)
    if engine_hook is not None:
        engine_hook(engine)
    check_execution_clients(config, engine)
    store = _open_state(run, state)
    sink = CollectingSink()
    # escalation triggers ride on the strategy's outputs; requests land in escalations.jsonl
    buckets = {s.instrument_id: s.bucket for s in specs}
    triggers = EscalationSink(sink, config.escalation, buckets, reference=config.replay.reference_instrument)
    models_dir, why = models_dir_for(config, specs, synthetic=manifest.synthetic)
    console.print(f"models: {models_dir} ({why})")
    strategy = build_strategy(
        config,
        specs,
        news="news.scored" in recording.topics,
        store=store,
        sink=triggers,
        models_dir=models_dir,
    )
    strategy.prepare()  # models loaded and kernels compiled before the engine's loop, not inside it
    engine.add_strategy(strategy)
    strategy.bind_trading_state(trading_state_setter(engine.kernel.risk_engine))

    total = sum(t.records for t in manifest.topics)
    prices: dict[str, list] = {}
    started = time.perf_counter()  # wall clock for throughput only; decisions use the engine clock
    with _progress(console, enabled=config.replay.progress) as progress:
        task = progress.add_task("replay", total=total)
        seen = feed_recording(
            engine,
            recording,
            specs,
            chunk_events=config.replay.chunk_events,
            on_progress=lambda n: progress.update(task, completed=n, refresh=True),
            prices=prices,
            on_bar=triggers.on_close,
        )
    engine.end()
    elapsed = time.perf_counter() - started
    store.sync()  # the state written during the run reaches its files, durably, before the run commits

    ignored = {topic: n for topic, n in seen.items() if topic not in ("md.bars", "news.scored")}
    for topic, n in sorted(ignored.items()):
        if topic == "news.raw":
            note = "raw headlines; the strategy reads news.scored" + (
                "" if "news.scored" in seen else " and this recording has none (score them first)"
            )
        else:
            note = "not traded by the bar strategy"
        strategy.outputs.alert(
            alert(manifest.end_ns, "warning", "topic_ignored", f"{n} {topic} records ignored: {note}")
        )
    warmup = warmup_bars(config.features)
    for instrument, (_, _, count) in sorted(prices.items()):
        if count <= warmup:
            strategy.outputs.alert(
                alert(manifest.end_ns, "warning", "insufficient_warmup",
                      f"{instrument}: {count} bars, not more than the features' {warmup}-bar warm-up: "
                      "no decision could be made")
            )  # fmt: skip
    outputs = ReplayOutputs(
        out_dir=run.path,
        data_path=data_path,
        manifest=manifest,
        config=config,
        config_hash=config_hash(config),
        journal=strategy.journal,
        sink=sink,
        # the strategy's own counts: Nautilus's cache drops closed orders in long replays
        orders=strategy.journal.orders,
        fills=strategy.journal.fills,
        events=sum(seen.values()),
        elapsed_s=elapsed,
        models=strategy.model_summary(),
        risk=strategy.risk,
        prices={name: PriceRange(first, last) for name, (first, last, _) in prices.items()},
        bar_counts={name: count for name, (_, _, count) in prices.items()},
    )
    # No engine.dispose(): it shuts down the process-wide Rust logger and the next engine in this
    # process then panics initialising it (nautilus 1.228). The engine is garbage-collected instead.
    report = write_outputs(outputs)
    write_run_ledger(run.path / "audit.jsonl", sink, config.audit.topics)
    return report


def _open_state(run: RunDirectory, state: Path | None):
    """``--state`` to resume from, or a fresh store in the new run directory (the previous run's state is
    left where it is: a failed run loses nothing). Writes are held in memory until :func:`_run` syncs the
    store once the engine stopped (:class:`~adapters.state.write_behind.WriteBehindStore`): nothing reads
    them before, and each file write inside the loop cost about a millisecond."""
    from adapters.state import EmbeddedFileStore
    from adapters.state.write_behind import WriteBehindStore

    if state is not None:
        if run.previous is not None and Path(state).resolve() == (run.previous / "state").resolve():
            # resuming OUT/state itself: continue it in the new run directory, keep the old one intact
            run.copy_previous_state()
            root = run.state_dir
        else:
            root = Path(state)
    else:
        root = run.state_dir
    return WriteBehindStore(EmbeddedFileStore(root, durable=False))


def trading_state_setter(risk_engine):
    """A callback that sets the Nautilus risk engine's trading state by name."""
    from nautilus_trader.model.enums import TradingState

    states = {"ACTIVE": TradingState.ACTIVE, "HALTED": TradingState.HALTED, "REDUCING": TradingState.REDUCING}
    return lambda name: risk_engine.set_trading_state(states[name])


def check_execution_clients(config: AureusConfig, engine) -> None:
    """Refuse to run when a configured execution client id is not registered: Nautilus would silently
    fall back to venue routing, which for a live client id could send demo orders somewhere unintended."""
    registered = {c.value for c in engine.kernel.exec_engine.registered_clients}
    for key in ("paper_client_id", "live_client_id"):
        client = getattr(config.execution, key)
        if client and client not in registered:
            raise EngineError(
                f"execution.{key} = {client!r} is not a registered client ({sorted(registered)})"
            )


def build_strategy(
    config: AureusConfig,
    specs,
    *,
    news: bool,
    store=None,
    sink=None,
    control: bool = False,
    models_dir: Path | None = None,
) -> MetaEnsembleStrategy:
    """The meta-ensemble strategy for these instruments, with models from ``models_dir`` (default: the
    version ``config.models.dir`` names, or its promoted version when it names a model set).

    ``news`` subscribes to scored news; only when the recording has some, as the backtest engine has a
    NEWS data client only once news data was added; ``control`` likewise subscribes to ``ControlData``."""
    strategy_config = replay_strategy_config(config, specs, news=news, control=control, models_dir=models_dir)
    return MetaEnsembleStrategy(strategy_config, store=store, sink=sink)


def replay_strategy_config(
    config: AureusConfig, specs, *, news: bool, control: bool = False, models_dir: Path | None = None
) -> MetaEnsembleConfig:
    """The Nautilus config :func:`build_strategy` builds the strategy from (the daemon starts from it)."""
    reference = config.replay.reference_instrument or specs[0].instrument_id
    if reference not in {s.instrument_id for s in specs}:
        raise EngineError(f"replay.reference_instrument {reference!r} is not in the recording")
    return MetaEnsembleConfig(
        strategy_id="MetaEnsemble-001",
        aureus_config_json=msgspec.json.encode(config).decode(),
        instruments_json=msgspec.json.encode(specs).decode(),
        bar_types=tuple(str(bar_type_for(s)) for s in specs),
        models_dir=str(models_dir or resolve_model_dir(resolve_repo_path(config.models.dir))),
        reference_instrument=reference if len(specs) > 1 else "",
        subscribe_news=news,
        mark_persist_interval_s=config.node.replay_mark_persist_interval_s,
        subscribe_control=control,
        cache_purge_interval_s=config.node.replay_cache_purge_interval_s,
    )


def feed_recording(
    engine,
    recording,
    specs,
    *,
    chunk_events: int,
    on_progress=None,
    prices: dict | None = None,
    on_bar=None,
) -> Counter[str]:
    """Stream a recording into a backtest engine in time-ordered chunks (bars and scored news).

    Returns the number of records seen per topic; topics the strategy does not trade are counted, not fed.
    ``on_bar(instrument, ts_event, close)`` sees each bar before its chunk runs (ahead of the engine clock).
    """
    converters = {s.instrument_id: BarConverter(bar_type_for(s), s) for s in specs}
    # what exists before the run (engine, models, imported modules) is never garbage: keep the cyclic GC from
    # scanning it again on every collection of the run (BTCUSDT: GC time 13.8 -> 4.4 µs a bar). No full
    # collection first: it scans that whole heap once (~130 ms, 4.3 µs a bar of BTCUSDT's 30,240), only to
    # spare the frozen set the setup's few garbage cycles, which unfreeze() hands back to the GC after the run
    gc.freeze()
    try:
        return _feed(engine, recording, converters, chunk_events, on_progress, prices, on_bar)
    finally:
        gc.unfreeze()


def _feed(engine, recording, converters, chunk_events, on_progress, prices, on_bar) -> Counter[str]:
    seen: Counter[str] = Counter()
    bars, news = [], []
    for record in recording.iter_all():
        payload = record.payload
        seen[record.topic] += 1
        if isinstance(payload, Bar):
            bars.append(converters[payload.instrument](payload))
            if on_bar is not None:
                on_bar(payload.instrument, payload.ts_event, payload.close)
            if prices is not None:
                first = prices.setdefault(payload.instrument, [payload.close, payload.close, 0])
                first[1], first[2] = payload.close, first[2] + 1
        elif isinstance(payload, NewsScored):
            news.append(news_to_custom_data(payload, NEWS_DATA_TYPE, ScoredNewsData))
        if len(bars) + len(news) >= chunk_events:
            _run_chunk(engine, bars, news)
            bars, news = [], []
            if on_progress:
                on_progress(sum(seen.values()))
    if bars or news:
        _run_chunk(engine, bars, news)
    if on_progress:
        on_progress(sum(seen.values()))
    return seen


def _run_chunk(engine, bars: list, news: list) -> None:
    if bars:
        engine.add_data(bars)
    if news:
        engine.add_data(news, client_id=NEWS_CLIENT_ID)
    engine.run(streaming=True)
    engine.clear_data()


def _progress(console: Console, *, enabled: bool) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("events"),
        TimeRemainingColumn(),
        console=console,
        disable=not enabled,
        transient=False,
        # redrawn after each chunk only: a refresh thread (10 a second) took the GIL from the engine's
        # loop, about 5 % of a profiled BTCUSDT replay spent waiting for it
        auto_refresh=False,
    )
