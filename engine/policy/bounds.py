"""Every tunable escalation may change, and its hard bounds: one table (:data:`BOUNDS`).

Names are the seed's JSON vocabulary, as dotted paths into :class:`engine.config.Policy` and as the keys
of :class:`schemas.control.PolicyUpdate`. Limits that depend on the risk configuration (bucket hard
clamps, the per-name cap) or on the node (known instruments and features) come from
:class:`PolicyLimits`. :func:`check_policy` judges a whole policy against the absolute bounds; the per-call
step limits are checked in :mod:`engine.policy.apply`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from engine.config import EscalationConfig, Policy, RiskConfig
from engine.features.vector import FEATURE_NAMES

Kind = Literal["delta", "value", "flag", "list"]

WEIGHT_STEP = 0.1
"""Largest change of one blend weight in one update (before renormalisation)."""
STOP_MULTIPLIER_RANGE = (1.0, 3.0)
PENALTY_RATE_RANGE = (0.0, 0.1)
SUM_TOLERANCE = 1e-9

NEWS_FEATURE = "news"
"""The scored-news input, toggleable like a feature column."""
KNOWN_FEATURES: frozenset[str] = frozenset((*FEATURE_NAMES, NEWS_FEATURE))


@dataclass(frozen=True)
class Bound:
    """One tunable: how an update names it, how it changes, and the rule it must keep."""

    kind: Kind
    rule: str


BOUNDS: MappingProxyType[str, Bound] = MappingProxyType(
    {
        "blend_weights.short": Bound(
            "delta", f"delta within ±{WEIGHT_STEP}; weights >= 0, renormalised to 1"
        ),
        "blend_weights.mid": Bound("delta", f"delta within ±{WEIGHT_STEP}; weights >= 0, renormalised to 1"),
        "blend_weights.rl": Bound("delta", f"delta within ±{WEIGHT_STEP}; weights >= 0, renormalised to 1"),
        "bucket_caps.core": Bound(
            "delta", "tightens freely; never above risk.caps.bucket_pct.core, never < 0"
        ),
        "bucket_caps.penny": Bound(
            "delta", "tightens freely; never above risk.caps.bucket_pct.penny, never < 0"
        ),
        "bucket_caps.fno": Bound("delta", "tightens freely; never above risk.caps.bucket_pct.fno, never < 0"),
        "reward_coefficients.returns": Bound("value", "non-negative; the three coefficients sum to 1"),
        "reward_coefficients.turnover": Bound("value", "non-negative; the three coefficients sum to 1"),
        "reward_coefficients.drawdown": Bound("value", "non-negative; the three coefficients sum to 1"),
        "turnover_penalties.penalty_rate": Bound("value", f"within {list(PENALTY_RATE_RANGE)}"),
        "stop_multipliers.atr": Bound("value", f"within {list(STOP_MULTIPLIER_RANGE)}"),
        "stop_multipliers.trailing": Bound("value", f"within {list(STOP_MULTIPLIER_RANGE)}"),
        "max_position_pct": Bound("value", "within (0, the largest per-name cap of risk.caps.per_name_pct]"),
        "disabled_features": Bound("list", "known feature names only; frozen while the reasoner is offline"),
        "do_not_trade_list": Bound(
            "list", "adds known instruments only, each for escalation.do_not_trade_ttl_s"
        ),
        "rl_only": Bound("flag", "set by the escalation worker: local reasoner offline"),
        "stay_demo": Bound("flag", "false clears quarantine only from a GPT-5 SANITY_JUDGE answer"),
    }
)
"""Dotted name to its bound. Nothing outside this table can be changed by an update."""

ROLLBACK_KEY = "rollback_to"
"""Override of a rollback update: the version whose parameters are restored."""


@dataclass(frozen=True)
class PolicyLimits:
    """The limits a policy is judged against.

    Parameters
    ----------
    bucket_hard_caps : dict[str, float]
        Bucket hard clamps of the risk configuration, fractions of NAV.
    per_name_cap : float
        Largest per-name cap of the risk configuration, fraction of NAV (bound of ``max_position_pct``).
    known_instruments : frozenset[str] or None
        Symbols ``do_not_trade_list`` may name; ``None`` when the caller does not know them (the node,
        which does, checks again).
    known_features : frozenset[str]
        Names ``disabled_features`` may hold.
    do_not_trade_ttl_ns : int
        How long one ``do_not_trade_list`` entry lasts.
    """

    bucket_hard_caps: dict[str, float]
    per_name_cap: float
    known_instruments: frozenset[str] | None
    known_features: frozenset[str]
    do_not_trade_ttl_ns: int

    @classmethod
    def from_config(
        cls, risk: RiskConfig, escalation: EscalationConfig, known_instruments: frozenset[str] | None = None
    ) -> PolicyLimits:
        """Limits from the risk and escalation configuration (percent caps become fractions)."""
        b = risk.caps.bucket_pct
        p = risk.caps.per_name_pct
        return cls(
            bucket_hard_caps={"core": b.core / 100.0, "penny": b.penny / 100.0, "fno": b.fno / 100.0},
            per_name_cap=max(p.core, p.penny, p.fno) / 100.0,
            known_instruments=known_instruments,
            known_features=KNOWN_FEATURES,
            do_not_trade_ttl_ns=int(escalation.do_not_trade_ttl_s * 1e9),
        )


def _finite(x: float) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def check_policy(policy: Policy, limits: PolicyLimits, *, now_ns: int | None = None) -> list[str]:
    """Every way ``policy`` breaks an absolute bound of :data:`BOUNDS` (empty when it keeps them all).

    ``now_ns`` bounds how far in the future a ``do_not_trade_list`` entry may end.
    """
    problems: list[str] = []
    w = policy.blend_weights
    weights = {"short": w.short, "mid": w.mid, "rl": w.rl}
    for name, value in weights.items():
        if not _finite(value) or value < 0.0 or value > 1.0:
            problems.append(f"blend_weights.{name} = {value!r} outside [0, 1]")
    if all(_finite(v) for v in weights.values()) and abs(sum(weights.values()) - 1.0) > SUM_TOLERANCE:
        problems.append(f"blend_weights sum to {sum(weights.values())!r}, not 1")
    c = policy.bucket_caps
    for name, value in (("core", c.core), ("penny", c.penny), ("fno", c.fno)):
        hard = limits.bucket_hard_caps[name]
        if not _finite(value) or value < 0.0 or value > hard + SUM_TOLERANCE:
            problems.append(f"bucket_caps.{name} = {value!r} outside [0, {hard!r}] (risk hard clamp)")
    r = policy.reward_coefficients
    coefficients = (r.returns, r.turnover, r.drawdown)
    if any(not _finite(v) or v < 0.0 for v in coefficients):
        problems.append(f"reward_coefficients {coefficients!r} must be non-negative")
    elif abs(sum(coefficients) - 1.0) > SUM_TOLERANCE:
        problems.append(f"reward_coefficients sum to {sum(coefficients)!r}, not 1")
    rate = policy.turnover_penalties.penalty_rate
    if not _finite(rate) or not PENALTY_RATE_RANGE[0] <= rate <= PENALTY_RATE_RANGE[1]:
        problems.append(f"turnover_penalties.penalty_rate = {rate!r} outside {list(PENALTY_RATE_RANGE)}")
    lo, hi = STOP_MULTIPLIER_RANGE
    for name, value in (("atr", policy.stop_multipliers.atr), ("trailing", policy.stop_multipliers.trailing)):
        if not _finite(value) or not lo <= value <= hi:
            problems.append(f"stop_multipliers.{name} = {value!r} outside [{lo}, {hi}]")
    m = policy.max_position_pct
    if not _finite(m) or m < 0.0 or m > limits.per_name_cap + SUM_TOLERANCE:
        problems.append(f"max_position_pct = {m!r} outside (0, {limits.per_name_cap!r}] (per-name cap)")
    unknown = sorted(set(policy.disabled_features) - limits.known_features)
    if unknown:
        problems.append(f"disabled_features names unknown features {unknown}")
    for entry in policy.do_not_trade_list:
        if limits.known_instruments is not None and entry.symbol not in limits.known_instruments:
            problems.append(f"do_not_trade_list names unknown instrument {entry.symbol!r}")
        if now_ns is not None and entry.until_ns > now_ns + limits.do_not_trade_ttl_ns:
            problems.append(f"do_not_trade_list entry {entry.symbol!r} lasts past the allowed time")
    return problems
