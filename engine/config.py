"""Typed configuration: frozen msgspec Structs decoded from TOML, with ``--set dotted.key=value`` overrides.

Every tunable number of the decision path lives here (weights, penalties, thresholds, bucket limits,
exits, caps) so code never hides a literal. ``load_config`` is the single entry point; an invalid value
fails at start with the field's path in the message.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec

from engine.errors import ConfigError
from engine.features.vector import FeatureParams

Fraction = Annotated[float, msgspec.Meta(ge=0.0, le=1.0)]
Percent = Annotated[float, msgspec.Meta(ge=0.0, le=100.0)]
Positive = Annotated[float, msgspec.Meta(gt=0.0)]
NonNegative = Annotated[float, msgspec.Meta(ge=0.0)]

_STRUCT = {"kw_only": True, "frozen": True, "forbid_unknown_fields": True}


class BlendWeights(msgspec.Struct, **_STRUCT):
    """Weights of the base score: ``short·p_short + mid·p_mid + rl·sigmoid(ppo_hint)``."""

    short: NonNegative = 0.4
    mid: NonNegative = 0.3
    rl: NonNegative = 0.3


class Penalties(msgspec.Struct, **_STRUCT):
    """Amounts subtracted from the base score when a condition holds."""

    vol_spike: NonNegative = 0.15
    news_negative: NonNegative = 0.10
    low_liquidity: NonNegative = 0.05
    correlation_breakdown: NonNegative = 0.08


class PenaltyTriggers(msgspec.Struct, **_STRUCT):
    """When each penalty applies.

    vol z > ``vol_z``, sentiment < ``sentiment``, liquidity < ``liquidity``, correlation < ``correlation``.
    """

    vol_z: float = 2.0
    sentiment: float = -0.3
    liquidity: float = 0.5
    correlation: float = 0.4


class Thresholds(msgspec.Struct, **_STRUCT):
    buy: Fraction = 0.67
    sell: Fraction = 0.33


class BucketPercents(msgspec.Struct, **_STRUCT):
    """A percentage of NAV per risk bucket."""

    core: Percent = 90.0
    penny: Percent = 2.0
    fno: Percent = 5.0


class ExitRules(msgspec.Struct, **_STRUCT):
    """Exits in multiples of ATR: initial stop, take-profit and the trailing distance of the stop."""

    initial_stop_atr: Positive = 1.8
    take_profit_atr: Positive = 2.5
    trailing_atr: Positive = 1.2


class Policy(msgspec.Struct, **_STRUCT):
    """The bounded policy the meta-ensemble applies; escalation may only retune these fields."""

    version: str = "baseline-1"
    weights: BlendWeights = BlendWeights()
    penalties: Penalties = Penalties()
    triggers: PenaltyTriggers = PenaltyTriggers()
    thresholds: Thresholds = Thresholds()
    bucket_limit_pct: BucketPercents = BucketPercents()
    exits: ExitRules = ExitRules()
    rl_missing_size_factor: Fraction = 0.5
    allow_short: bool = True


class RiskCaps(msgspec.Struct, **_STRUCT):
    per_name_pct: BucketPercents = BucketPercents(core=1.5, penny=0.4, fno=0.7)


class RiskConfig(msgspec.Struct, **_STRUCT):
    caps: RiskCaps = RiskCaps()


class NewsConfig(msgspec.Struct, **_STRUCT):
    """Scored news decays towards neutral with this half-life (engine-clock seconds)."""

    half_life_s: Positive = 3600.0


class ModelsConfig(msgspec.Struct, **_STRUCT):
    """Where the ONNX models and manifests live (relative paths resolve against the repository root)."""

    dir: str = "models/baseline"
    prefer_gpu: bool = True


class VenueConfig(msgspec.Struct, **_STRUCT):
    """Simulated venue used by replay: fees in fractions of notional, account leverage."""

    starting_nav: Positive = 100_000.0
    taker_fee: NonNegative = 0.001
    maker_fee: NonNegative = 0.0008
    leverage: Positive = 1.0


class ReplayConfig(msgspec.Struct, **_STRUCT):
    chunk_events: Annotated[int, msgspec.Meta(ge=1_000)] = 50_000
    progress: bool = True
    synthetic_seed: int = 11  # the shipped models were trained on seed 7: the default replay is out of sample
    synthetic_days: Annotated[int, msgspec.Meta(ge=1)] = 8
    reference_instrument: str = ""


class AureusConfig(msgspec.Struct, **_STRUCT):
    """Root configuration."""

    mode: Literal["demo", "live", "replay"] = "demo"
    policy: Policy = Policy()
    risk: RiskConfig = RiskConfig()
    features: FeatureParams = FeatureParams()
    news: NewsConfig = NewsConfig()
    models: ModelsConfig = ModelsConfig()
    venue: VenueConfig = VenueConfig()
    replay: ReplayConfig = ReplayConfig()


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
        except msgspec.DecodeError as e:
            raise ConfigError(f"config file {path} is not valid TOML: {e}") from e
    for item in overrides:
        _apply_override(raw, item)
    try:
        return msgspec.convert(raw, type=AureusConfig)
    except msgspec.ValidationError as e:
        where = f" in {path}" if path else ""
        raise ConfigError(f"invalid config{where}: {e}") from e


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


def config_hash(config: AureusConfig) -> str:
    """sha256 of the canonical JSON of the effective config (field order is the Struct's)."""
    return hashlib.sha256(msgspec.json.encode(config)).hexdigest()


def config_to_toml(config: AureusConfig) -> bytes:
    return msgspec.toml.encode(msgspec.to_builtins(config))
