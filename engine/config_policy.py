"""Policy config: the bounded parameters the meta-ensemble applies (blend weights, penalties, thresholds,
bucket caps, exits, RL reward). Re-exported by :mod:`engine.config`, which holds the whole config."""

from __future__ import annotations

from typing import Annotated

import msgspec

from engine.config_base import _STRUCT, Fraction, NonNegative, Percent, Positive


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


class BucketFractions(msgspec.Struct, **_STRUCT):
    """A fraction of NAV per risk bucket (the seed's ``bucket_caps``: ``penny = 0.02`` is 2 %)."""

    core: Fraction = 0.9
    penny: Fraction = 0.02
    fno: Fraction = 0.05


class BucketPercents(msgspec.Struct, **_STRUCT):
    """A percentage of NAV per risk bucket (read-only view of :class:`BucketFractions`)."""

    core: Percent = 90.0
    penny: Percent = 2.0
    fno: Percent = 5.0


class StopMultipliers(msgspec.Struct, **_STRUCT):
    """Exits in multiples of ATR (the seed's ``stop_multipliers``): initial stop ``atr``, trailing distance
    ``trailing``, and the take-profit (not tunable by escalation)."""

    atr: Positive = 1.8
    trailing: Positive = 1.2
    take_profit: Positive = 2.5


class ExitRules(msgspec.Struct, **_STRUCT):
    """Read-only view of :class:`StopMultipliers` under the strategy's older names."""

    initial_stop_atr: Positive = 1.8
    take_profit_atr: Positive = 2.5
    trailing_atr: Positive = 1.2


class ProbabilityGates(msgspec.Struct, **_STRUCT):
    """Minimum calibrated P(win) per ATR% volatility regime (seed 003, "Probability gates por régimen")."""

    low_vol: Fraction = 0.60
    med_vol: Fraction = 0.62
    high_vol: Fraction = 0.65


class RewardCoefficients(msgspec.Struct, **_STRUCT):
    """Weights of the RL reward terms (non-negative, sum 1)."""

    returns: NonNegative = 0.6
    turnover: NonNegative = 0.2
    drawdown: NonNegative = 0.2


class TurnoverPenalties(msgspec.Struct, **_STRUCT):
    """Turnover penalty of the RL reward (fraction of traded notional)."""

    penalty_rate: NonNegative = 0.01


class DoNotTrade(msgspec.Struct, **_STRUCT):
    """A symbol escalation barred from new entries until ``until_ns`` (engine clock, UTC nanoseconds)."""

    symbol: str
    until_ns: Annotated[int, msgspec.Meta(ge=0)]


class Policy(msgspec.Struct, **_STRUCT):
    """The bounded policy the meta-ensemble applies; escalation may only retune the fields named in
    ``engine.policy.bounds.BOUNDS``, by the names of the seed's JSON contract (``blend_weights``,
    ``bucket_caps``, ``stop_multipliers``, ``reward_coefficients``, ...).

    ``max_position_pct`` 0 means the risk configuration's per-name caps apply unchanged; ``rl_only`` is
    the "local reasoner offline" failure mode (RL-only ensemble, feature toggles frozen).
    """

    version: str = "baseline-1"
    blend_weights: BlendWeights = BlendWeights()
    penalties: Penalties = Penalties()
    triggers: PenaltyTriggers = PenaltyTriggers()
    thresholds: Thresholds = Thresholds()
    bucket_caps: BucketFractions = BucketFractions()
    stop_multipliers: StopMultipliers = StopMultipliers()
    rl_missing_size_factor: Fraction = 0.5
    allow_short: bool = True
    reward_coefficients: RewardCoefficients = RewardCoefficients()
    turnover_penalties: TurnoverPenalties = TurnoverPenalties()
    disabled_features: tuple[str, ...] = ()
    do_not_trade_list: tuple[DoNotTrade, ...] = ()
    max_position_pct: Fraction = 0.0
    rl_only: bool = False
    gates: ProbabilityGates = ProbabilityGates()

    # Read-only views under the names the strategy used before the vocabulary was unified.
    @property
    def weights(self) -> BlendWeights:
        return self.blend_weights

    @property
    def bucket_limit_pct(self) -> BucketPercents:
        c = self.bucket_caps
        return BucketPercents(core=_percent(c.core), penny=_percent(c.penny), fno=_percent(c.fno))

    @property
    def exits(self) -> ExitRules:
        m = self.stop_multipliers
        return ExitRules(initial_stop_atr=m.atr, take_profit_atr=m.take_profit, trailing_atr=m.trailing)


def _percent(fraction: float) -> float:
    # 0.9 * 100 is 90.00000000000001 in binary floating point; the caps are given to far fewer digits
    return round(fraction * 100.0, 9)
