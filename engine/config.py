"""Typed configuration: frozen msgspec Structs decoded from TOML, with ``--set dotted.key=value`` overrides.

Every tunable number of the decision path lives here (weights, penalties, thresholds, bucket limits,
exits, caps) so code never hides a literal. ``load_config`` is the single entry point; an invalid value
fails at start with the field's path in the message. The policy and risk sections live in
:mod:`engine.config_policy` and :mod:`engine.config_risk` (shared types in :mod:`engine.config_base`) and
are re-exported here: import every config class from ``engine.config``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec

from engine.config_base import _STRUCT, Fraction, NonNegative, Percent, Positive  # noqa: F401
from engine.config_checks import config_problems
from engine.config_policy import (  # noqa: F401  (re-exported: engine.config holds the whole config)
    BlendWeights,
    BucketFractions,
    BucketPercents,
    DoNotTrade,
    ExitRules,
    Penalties,
    PenaltyTriggers,
    Policy,
    ProbabilityGates,
    RewardCoefficients,
    StopMultipliers,
    Thresholds,
    TurnoverPenalties,
)
from engine.config_risk import (  # noqa: F401  (re-exported: engine.config holds the whole config)
    BucketCapPercents,
    DataStallConfig,
    KillSwitchConfig,
    OrderRateConfig,
    PennyRule,
    PerNamePercents,
    PortfolioLimits,
    RiskCaps,
    RiskConfig,
    SipConfig,
)
from engine.errors import ConfigError
from engine.features.vector import FeatureParams
from schemas.common import Mode


class ExecutionConfig(msgspec.Struct, **_STRUCT):
    """Execution client ids per route; empty routes by venue (the sandbox or backtest venue)."""

    paper_client_id: str = ""
    live_client_id: str = ""


class StoreConfig(msgspec.Struct, **_STRUCT):
    """Where state that must survive a restart lives: the embedded file store or Redis (the daemon).

    The daemon also keeps the Nautilus cache (orders, positions, accounts) in the Redis of ``redis_url``;
    the environment variable ``AUREUS_REDIS_URL`` overrides it (``--set`` still wins)."""

    backend: Literal["file", "redis"] = "file"
    path: str = ".aureus/state"
    redis_url: str = "redis://127.0.0.1:6379/0"
    key_prefix: str = "aureus:"


StateConfig = StoreConfig
"""Former name of :class:`StoreConfig` (the section was called ``state``)."""


class NewsConfig(msgspec.Struct, **_STRUCT):
    """Scored news decays towards neutral with this half-life (engine-clock seconds)."""

    half_life_s: Positive = 3600.0


class ModelsConfig(msgspec.Struct, **_STRUCT):
    """Where the ONNX models and manifests live (relative paths resolve against the repository root)."""

    dir: str = "models/baseline"
    prefer_gpu: bool = True
    # what scores the tree models on the CPU: the numba evaluator (identical scores, used when every
    # model's graph converts, else onnxruntime) or onnxruntime always
    cpu_runtime: Literal["numba", "onnxruntime"] = "numba"
    # threads numba may use to score a batch (the research simulator's full recompute); the scores are
    # the same on any number
    batch_threads: Annotated[int, msgspec.Meta(ge=1, le=256)] = 1


class VenueConfig(msgspec.Struct, **_STRUCT):
    """Simulated venue used by replay: fees in fractions of notional, account leverage."""

    starting_nav: Positive = 100_000.0
    taker_fee: NonNegative = 0.001
    maker_fee: NonNegative = 0.0008
    leverage: Positive = 1.0


class ReplayConfig(msgspec.Struct, **_STRUCT):
    chunk_events: Annotated[int, msgspec.Meta(ge=1_000)] = 50_000
    progress: bool = True
    # the shipped models were trained on seed 7: the default replay is out of sample
    synthetic_seed: Annotated[int, msgspec.Meta(ge=0)] = 11
    synthetic_days: Annotated[int, msgspec.Meta(ge=1)] = 8
    reference_instrument: str = ""


class NodeConfig(msgspec.Struct, **_STRUCT):
    """How the strategy runs inside a node (replay's backtest engine or the daemon's trading node).

    ``bar_grace_ms``: the portfolio step for a timestamp runs once every instrument's bar for it arrived,
    or this long after the first one on the engine clock (a bar arriving later is decided on its own and
    counted as ``late_bars``). ``mark_persist_interval_s``: how often a NAV mark alone is written to the
    state store in the daemon (0: every mark); ``replay_mark_persist_interval_s``: the same in replay,
    where an fsync per bar would dominate (a day: marks go out with the day roll, any other change of the
    risk state, and at stop). ``flatten_retry_s`` / ``flatten_retry_max_s``: backoff of a
    denied or rejected close (doubling from the first to the second) until the book is flat.
    ``replay_cache_purge_interval_s``: in replay, this often the strategy drops orders and positions
    closed at least this long ago from Nautilus's cache (0: never), so a long replay's cache stays small.
    """

    bar_grace_ms: Annotated[int, msgspec.Meta(ge=1)] = 2_000
    mark_persist_interval_s: NonNegative = 0.0
    replay_mark_persist_interval_s: NonNegative = 86_400.0
    flatten_retry_s: Positive = 1.0
    flatten_retry_max_s: Positive = 60.0
    replay_cache_purge_interval_s: NonNegative = 3_600.0


class KafkaConfig(msgspec.Struct, **_STRUCT):
    """The broker the daemon, recorder and ``replay --via-kafka`` talk to.

    ``bootstrap_servers`` is overridden by the environment variable ``AUREUS_KAFKA_BOOTSTRAP`` (``--set``
    still wins). Every topic name gets ``topic_prefix`` in front. ``enable_idempotence`` must be off on
    brokers without InitProducerId (tansu); dedup then rests on deterministic keys and ids.
    """

    bootstrap_servers: str = "127.0.0.1:9092"
    topic_prefix: str = ""
    group_id: str = "aureus-node"
    client_id: str = "aureus"
    input_topics: tuple[str, ...] = ("md.bars", "news.scored", "control")
    enable_idempotence: bool = True
    acks: Literal["all", "1", "0"] = "all"
    max_poll_records: Annotated[int, msgspec.Meta(ge=1)] = 500
    poll_timeout_ms: Annotated[int, msgspec.Meta(ge=1)] = 100
    fetch_max_wait_ms: Annotated[int, msgspec.Meta(ge=0)] = 10
    auto_offset_reset: Literal["earliest", "latest"] = "earliest"
    linger_ms: Annotated[int, msgspec.Meta(ge=0)] = 5


class LiveVenueConfig(msgspec.Struct, **_STRUCT):
    """The Nautilus venue adapter ``aureus run --mode live`` trades through (credentials from env only)."""

    adapter: Literal["", "binance"] = ""
    venue: str = "BINANCE"
    account_type: Literal["spot", "margin", "usdt_futures"] = "spot"
    testnet: bool = True
    api_key_env: str = "BINANCE_API_KEY"
    api_secret_env: str = "BINANCE_API_SECRET"


class DaemonConfig(msgspec.Struct, **_STRUCT):
    """``aureus run``: instruments, HTTP health/metrics endpoint, output directory, timeouts.

    ``instruments`` names a recording manifest (or a JSON list of instrument specs) that tells the node
    what it trades; the bars themselves arrive on ``md.bars``.
    """

    trader_id: str = "AUREUS-001"
    instruments: str = ""
    http_host: str = "127.0.0.1"
    http_port: Annotated[int, msgspec.Meta(ge=0, le=65535)] = 9464
    out_dir: str = "runs/daemon"
    timeout_connection_s: Positive = 30.0
    timeout_reconciliation_s: Positive = 10.0
    shutdown_flush_s: Positive = 10.0
    live: LiveVenueConfig = LiveVenueConfig()


class EscalationThresholds(msgspec.Struct, **_STRUCT):
    """Seed 001 "Escalation Matrix": when the node asks for an escalation."""

    drawdown_5d_pct: Positive = 8.0
    daily_loss_pct: Positive = 2.5
    vol_z: Positive = 2.0
    correlation: float = 0.4
    accuracy_drop_pp: Positive = 7.0
    sharpe_min: float = 0.6
    put_call_oi: Positive = 1.6


class EscalationConfig(msgspec.Struct, **_STRUCT):
    """The escalation control plane: triggers, the GPT-5 budget, the two reasoners and their endpoints.

    Empty ``openai_base_url`` / ``ollama_host`` fall back to ``OPENAI_BASE_URL`` / ``OLLAMA_HOST`` and then
    to the clients' defaults; the OpenAI key is read from ``OPENAI_API_KEY`` only.
    """

    openai_model: str = "gpt-5"
    openai_base_url: str = ""
    openai_timeout_s: Positive = 60.0
    ollama_model: str = "qwen2.5:14b-instruct"
    ollama_host: str = ""
    ollama_timeout_s: Positive = 120.0
    gpt5_calls_per_day: Annotated[int, msgspec.Meta(ge=0)] = 3
    trigger_window_s: Positive = 21600.0
    do_not_trade_ttl_s: Positive = 86400.0
    untrusted_max_chars: Annotated[int, msgspec.Meta(ge=1, le=2000)] = 280
    untrusted_max_items: Annotated[int, msgspec.Meta(ge=0, le=100)] = 20
    thresholds: EscalationThresholds = EscalationThresholds()
    accuracy_horizon_s: Positive = 3600.0


class RealModelSets(msgspec.Struct, **_STRUCT):
    """The real-data model set (``models/<set>``, see ``aureus models``) per instrument asset class."""

    crypto_spot: str = "models/btc-real"
    equity: str = "models/stocknet-real"


class ResearchConfig(msgspec.Struct, **_STRUCT):
    """Model sets for replays of real data.

    With ``use_real_sets`` a replay of a real (non-synthetic) recording whose ``models.dir`` is left at
    its default loads the *promoted* version of its asset class's set; a set with no promoted version
    leaves the replay on ``models.dir``.
    """

    use_real_sets: bool = True
    real_sets: RealModelSets = RealModelSets()


class ShortingConfig(msgspec.Struct, **_STRUCT):
    """Which instruments may be sold short (``policy.allow_short`` must also allow it).

    Spot instruments (``crypto_spot``, ``equity``) are long only unless ``spot`` is true, which needs a
    margin account at the venue (the replay venue is one); ``margin_kinds`` (FX, futures) trade on margin
    and may be shorted.
    """

    spot: bool = False
    margin_kinds: tuple[str, ...] = ("fx", "future")


class FeeRates(msgspec.Struct, **_STRUCT):
    """Maker and taker fee, fractions of notional."""

    maker: NonNegative
    taker: NonNegative


class FeesConfig(msgspec.Struct, **_STRUCT):
    """Fee schedule per asset class; ``crypto_spot`` (and any kind not listed) pays ``venue.maker_fee`` /
    ``venue.taker_fee``. Equity 5 bps (seed 003 ``fee_pct: 0.0005``); FX and futures 1 bp (seed 002's
    commission)."""

    equity: FeeRates = FeeRates(maker=0.0005, taker=0.0005)
    fx: FeeRates = FeeRates(maker=0.0001, taker=0.0001)
    future: FeeRates = FeeRates(maker=0.0001, taker=0.0001)


def _default_source_tiers() -> dict[str, int]:
    return {"benzinga": 1, "synthetic": 2, "stocknet": 3}


class NewsWorkerConfig(msgspec.Struct, **_STRUCT):
    """The news worker (``news.raw`` -> ``news.scored``) and ``aureus news score``.

    ``source_tiers`` maps a source to its tier (1 best); unknown sources are tier 3. ``link_tables``
    are the symbol/company files the linker reads (relative paths resolve against the repository root).
    ``dedup_max_items`` caps the dedup and published windows (early evictions are counted);
    ``restore_chunk`` is how many ``news.scored`` records a restart reads back per step from the end.
    """

    dedup_window_s: Positive = 86400.0
    near_duplicate_threshold: Annotated[float, msgspec.Meta(gt=0.0, le=1.0)] = 0.8
    max_strong_cashtags: Annotated[int, msgspec.Meta(ge=1)] = 3
    min_words: Annotated[int, msgspec.Meta(ge=1)] = 4
    source_tiers: dict[str, int] = msgspec.field(default_factory=_default_source_tiers)
    weak_link_relevance: Fraction = 0.5
    train_on_weak_links: bool = False
    model_dir: str = "models/sentiment"
    prefer_gpu: bool = False
    venue: str = "NASDAQ"
    link_tables: tuple[str, ...] = (
        "../shared/data/sp500_sectors/constituents.csv",
        "../shared/data/stocknet_daily_88/StockTable.tsv",
    )
    batch_size: Annotated[int, msgspec.Meta(ge=1)] = 256
    dedup_max_items: Annotated[int, msgspec.Meta(ge=1)] = 200_000
    restore_chunk: Annotated[int, msgspec.Meta(ge=1)] = 1024


class AlertSubscription(msgspec.Struct, **_STRUCT):
    """One subscriber: alerts at or above ``severity`` whose code matches one of ``codes`` (fnmatch) and,
    when ``topics`` is not empty, that carry one of those tags."""

    name: str
    sink: Literal["console", "webhook", "telegram"]
    url: str = ""
    severity: Literal["info", "warning", "critical"] = "info"
    codes: tuple[str, ...] = ("*",)
    topics: tuple[str, ...] = ()


class AlertsConfig(msgspec.Struct, **_STRUCT):
    """Alert delivery: subscriptions of the daemon's router, retry/backoff, circuit breaker, Telegram.

    ``telegram_token`` / ``telegram_chat_id`` fall back to ``AUREUS_TELEGRAM_TOKEN`` /
    ``AUREUS_TELEGRAM_CHAT_ID``. Alerts still undelivered after ``max_attempts`` go to
    ``dead_letter_path`` (JSONL), never nowhere. ``delivery_log`` is where delivered alert ids are
    recorded so a restart does not re-send them: ``redis`` (``store.redis_url``, keys expire after
    ``delivered_ttl_s``), ``file`` (under ``workers.data_dir``) or ``auto`` (Redis when
    ``store.backend = "redis"``).
    """

    subscriptions: tuple[AlertSubscription, ...] = ()
    telegram_token: str = ""
    telegram_chat_id: str = ""
    telegram_api_url: str = "https://api.telegram.org"
    max_attempts: Annotated[int, msgspec.Meta(ge=1)] = 5
    backoff_base_s: Positive = 0.5
    backoff_max_s: Positive = 30.0
    jitter: Fraction = 0.5
    breaker_failures: Annotated[int, msgspec.Meta(ge=1)] = 5
    breaker_reset_s: Positive = 60.0
    timeout_s: Positive = 5.0
    dead_letter_path: str = ".aureus/alerts.dead.jsonl"
    delivery_log: Literal["auto", "redis", "file"] = "auto"
    delivered_ttl_s: Annotated[int, msgspec.Meta(ge=1)] = 7 * 86400


class AuditConfig(msgspec.Struct, **_STRUCT):
    """The audit ledger writer: which topics it records and where the JSONL ledger lives."""

    ledger_path: str = ".aureus/audit.jsonl"
    topics: tuple[str, ...] = ("orders", "fills", "risk", "control")


class WorkersConfig(msgspec.Struct, **_STRUCT):
    """faust workers: broker (empty: ``AUREUS_KAFKA_BOOTSTRAP``, else ``kafka.*``), prefix, idempotence.

    tansu (the test broker) has no idempotent producer, so tests set ``idempotent_producer = false``.
    ``metrics_port``: serve the workers' Prometheus metrics on this port (0: off). faust commits the
    consumed offsets every ``commit_interval_s`` seconds or ``commit_every`` events, whichever first.
    """

    bootstrap_servers: str = ""
    topic_prefix: str = ""
    idempotent_producer: bool = True
    group_prefix: str = "aureus"
    data_dir: str = ".aureus/faust"
    metrics_port: Annotated[int, msgspec.Meta(ge=0, le=65535)] = 0
    commit_interval_s: Positive = 0.5
    commit_every: Annotated[int, msgspec.Meta(ge=1)] = 100


class RestartConfig(msgspec.Struct, **_STRUCT):
    """How ``aureus run`` resumes after a stop or a crash.

    ``warmup_bars``: on start the Kafka data client seeks each ``md.bars`` partition back this many bars
    per instrument before its committed offset and replays them; the strategy updates its features with
    bars it already decided (at or before the decided mark in the risk state) and decides none of them
    again. It must cover the feature warm-up (``warmup_bars(features)``) and the correlation window; the
    features' slowest EMA (``liquidity_slow``) then carries a residual of about
    ``(1 - 2 / (liquidity_slow + 1)) ** warmup_bars`` of its start value (2000 bars, 240: 6e-8).
    """

    warmup_bars: Annotated[int, msgspec.Meta(ge=0)] = 2000


class AureusConfig(msgspec.Struct, **_STRUCT):
    """Root configuration."""

    mode: Mode = "demo"
    policy: Policy = Policy()
    risk: RiskConfig = RiskConfig()
    execution: ExecutionConfig = ExecutionConfig()
    store: StoreConfig = StoreConfig()
    features: FeatureParams = FeatureParams()
    news: NewsConfig = NewsConfig()
    models: ModelsConfig = ModelsConfig()
    venue: VenueConfig = VenueConfig()
    replay: ReplayConfig = ReplayConfig()
    node: NodeConfig = NodeConfig()
    escalation: EscalationConfig = EscalationConfig()
    kafka: KafkaConfig = KafkaConfig()
    daemon: DaemonConfig = DaemonConfig()
    research: ResearchConfig = ResearchConfig()
    shorting: ShortingConfig = ShortingConfig()
    fees: FeesConfig = FeesConfig()
    news_worker: NewsWorkerConfig = NewsWorkerConfig()
    alerts: AlertsConfig = AlertsConfig()
    audit: AuditConfig = AuditConfig()
    workers: WorkersConfig = WorkersConfig()
    restart: RestartConfig = RestartConfig()


def load_config(path: str | Path | None = None, overrides: list[str] | tuple[str, ...] = ()) -> AureusConfig:
    """Load a TOML config (or the built-in defaults) and apply ``dotted.key=value`` overrides.

    Parameters
    ----------
    path : str or Path, optional
        TOML file; ``None`` uses the defaults (identical to ``configs/default.toml``).
    overrides : sequence of str
        ``"policy.thresholds.buy=0.7"``-style assignments; values are parsed as TOML literals, and
        anything that is not a TOML literal is taken as a string.

    Raises
    ------
    ConfigError
        Unreadable file, malformed TOML, malformed override, unknown key or out-of-range value; the
        message names the field path.
    """
    raw: dict[str, Any] = {}
    if path is not None:
        try:
            raw = msgspec.toml.decode(Path(path).read_bytes())
        except FileNotFoundError as e:
            raise ConfigError(f"config file not found: {path}") from e
        except IsADirectoryError as e:
            raise ConfigError(f"config path is a directory, not a TOML file: {path}") from e
        except OSError as e:
            raise ConfigError(f"cannot read config file {path}: {e.strerror or e}") from e
        except UnicodeDecodeError as e:
            raise ConfigError(f"config file {path} is not UTF-8 text (byte {e.start}): not TOML") from e
        except msgspec.DecodeError as e:
            raise ConfigError(f"config file {path} is not valid TOML: {e}") from e
    for item in overrides:
        _apply_override(raw, item)
    raw = _with_profile(raw)
    where = f" in {path}" if path else ""
    try:
        config = msgspec.convert(raw, type=AureusConfig)
    except msgspec.ValidationError as e:
        raise ConfigError(f"invalid config{where}: {e}") from e
    problems = config_problems(config)
    if problems:
        raise ConfigError(f"invalid config{where}: {problems[0]}")
    return config


PROFILES_DIR = Path(__file__).resolve().parents[1] / "configs" / "profiles"
DEFAULT_PROFILE = "runbook"


def available_profiles() -> list[str]:
    """Risk profiles: the seed 001 runbook defaults plus one TOML overlay per file in ``configs/profiles``."""
    return sorted({DEFAULT_PROFILE, *(f.stem for f in PROFILES_DIR.glob("*.toml"))})


def _with_profile(raw: dict[str, Any]) -> dict[str, Any]:
    """Lay the config over its risk profile's overlay: explicit keys and ``--set`` always win."""
    risk = raw.get("risk", {})
    name = risk.get("profile", DEFAULT_PROFILE) if isinstance(risk, dict) else DEFAULT_PROFILE
    if name == DEFAULT_PROFILE:
        return raw
    if not isinstance(name, str) or name not in available_profiles():
        known = ", ".join(available_profiles())
        raise ConfigError(f"risk.profile: unknown profile {name!r} (available: {known})")
    path = PROFILES_DIR / f"{name}.toml"
    try:
        overlay = msgspec.toml.decode(path.read_bytes())
    except msgspec.DecodeError as e:
        raise ConfigError(f"risk profile {path} is not valid TOML: {e}") from e
    return _deep_merge(overlay, raw)


def _deep_merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _apply_override(raw: dict[str, Any], item: str) -> None:
    key, sep, text = item.partition("=")
    key = key.strip()
    if not sep or not key or any(not part for part in key.split(".")):
        raise ConfigError(f"--set expects dotted.key=value, got {item!r}")
    node = raw
    parts = key.split(".")
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ConfigError(f"--set {key}: {part!r} is a value, not a section")
        node = child
    node[parts[-1]] = _parse_value(text.strip())


def _parse_value(text: str) -> Any:
    try:
        return msgspec.toml.decode(f"v = {text}".encode())["v"]
    except msgspec.DecodeError:
        return text


#: Keys that change how a run is shown, never what it decides: left out of :func:`config_hash`.
PRESENTATION_KEYS = (("replay", "progress"),)


def config_hash(config: AureusConfig) -> str:
    """sha256 of the canonical JSON of the effective config (field order is the Struct's).

    Presentation keys (:data:`PRESENTATION_KEYS`, e.g. ``replay.progress`` from ``--no-progress``) are
    reset to their defaults first, so showing a progress bar or not gives the same hash.
    """
    for section, key in PRESENTATION_KEYS:
        default = getattr(type(getattr(config, section))(), key)
        part = msgspec.structs.replace(getattr(config, section), **{key: default})
        config = msgspec.structs.replace(config, **{section: part})
    return hashlib.sha256(msgspec.json.encode(config)).hexdigest()


def config_to_toml(config: AureusConfig) -> bytes:
    return msgspec.toml.encode(msgspec.to_builtins(config))
