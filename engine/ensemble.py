"""The deterministic meta-ensemble: model probabilities + market context -> score, action, size.

Exactly the runbook's fusion (seed 001, "Meta-Ensemble Formula")::

    base   = w_short·p_short + w_mid·p_mid + w_rl·sigmoid(ppo_hint)
    adjust = -(vol spike) - (negative news) - (low liquidity) - (correlation breakdown)
    score  = clamp(base + adjust, 0, 1)
    action = BUY if score >= buy else SELL if score <= sell else HOLD
    size   = bucket_limit · 2·|score - 0.5|

When the RL size-hint model is missing (runbook "RL Model Missing"), the predictor weights are
renormalised to sum to the original total and the size is multiplied by ``rl_missing_size_factor``.
Every number comes from :class:`engine.config.Policy`.
"""

from __future__ import annotations

import math

import msgspec

from engine.config import Policy


class EnsembleInputs(msgspec.Struct, frozen=True, kw_only=True):
    """What the ensemble sees for one instrument at one bar. NaN context values never trigger a penalty."""

    p_short: float
    p_mid: float
    ppo_hint: float | None
    vol_z: float
    sentiment: float
    liquidity: float
    correlation: float


class Decision(msgspec.Struct, frozen=True, kw_only=True):
    """The ensemble's verdict with every component, so a decision can be explained after the fact."""

    base: float
    penalties: dict[str, float]
    score: float
    action: str
    size: float
    weights: dict[str, float]
    rl_available: bool
    reason_tags: tuple[str, ...]


def sigmoid(x: float) -> float:
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def effective_weights(policy: Policy, rl_available: bool) -> dict[str, float]:
    """Blend weights in use: the policy's, or the predictors' renormalised when the RL model is absent; in
    RL-only mode (local reasoner offline) the whole weight on the RL hint while the RL model is there."""
    w = policy.weights
    if policy.rl_only and rl_available:
        return {"short": 0.0, "mid": 0.0, "rl": w.short + w.mid + w.rl}
    if rl_available:
        return {"short": w.short, "mid": w.mid, "rl": w.rl}
    predictors = w.short + w.mid
    if predictors <= 0.0:
        return {"short": 0.0, "mid": 0.0, "rl": 0.0}
    scale = (w.short + w.mid + w.rl) / predictors
    return {"short": w.short * scale, "mid": w.mid * scale, "rl": 0.0}


class _Terms:
    """What the formula reads from one policy, per RL availability: looked up once, not per decision."""

    __slots__ = (
        "policy", "weights", "w_short", "w_mid", "w_rl", "vol_z", "sentiment", "liquidity", "correlation",
        "pen_vol", "pen_news", "pen_liquidity", "pen_correlation", "buy", "sell", "size_factor",
    )  # fmt: skip

    def __init__(self, policy: Policy, rl_available: bool) -> None:
        trig, pen = policy.triggers, policy.penalties
        self.policy = policy
        self.weights = effective_weights(policy, rl_available)
        self.w_short, self.w_mid, self.w_rl = self.weights["short"], self.weights["mid"], self.weights["rl"]
        self.vol_z, self.sentiment = trig.vol_z, trig.sentiment
        self.liquidity, self.correlation = trig.liquidity, trig.correlation
        self.pen_vol, self.pen_news = pen.vol_spike, pen.news_negative
        self.pen_liquidity, self.pen_correlation = pen.low_liquidity, pen.correlation_breakdown
        self.buy, self.sell = policy.thresholds.buy, policy.thresholds.sell
        self.size_factor = 1.0 if rl_available else policy.rl_missing_size_factor


# per policy object (frozen) and RL availability, computed once. The weights dict is shared by every
# Decision made under that policy: read it, never mutate it.
_TERMS: dict[tuple[int, bool], _Terms] = {}


def _terms_of(policy: Policy, rl_available: bool) -> _Terms:
    hit = _TERMS.get((id(policy), rl_available))
    if hit is not None and hit.policy is policy:
        return hit
    if len(_TERMS) >= 16:  # policies change rarely (escalations); keep only recent ones
        _TERMS.clear()
    terms = _TERMS[(id(policy), rl_available)] = _Terms(policy, rl_available)
    return terms


def decide(inputs: EnsembleInputs, policy: Policy, *, bucket_limit_pct: float) -> Decision:
    """Fuse one bar's inputs into a decision.

    Parameters
    ----------
    inputs : EnsembleInputs
        Model probabilities in [0, 1], the PPO size hint (``None`` when the RL model is missing) and
        context: volatility z-score, decayed news sentiment, liquidity in [0, 1], return correlation
        to the reference instrument.
    policy : Policy
        Weights, penalties, triggers, thresholds.
    bucket_limit_pct : float
        The instrument's bucket limit in percent of NAV.

    Returns
    -------
    Decision
        ``size`` is a fraction of NAV before risk clamps.
    """
    base, penalties, score, action, size, weights, reason_tags = decide_parts(
        inputs.p_short,
        inputs.p_mid,
        inputs.ppo_hint,
        inputs.vol_z,
        inputs.sentiment,
        inputs.liquidity,
        inputs.correlation,
        policy,
        bucket_limit_pct,
    )
    return Decision(
        base=base,
        penalties=penalties,
        score=score,
        action=action,
        size=size,
        weights=weights,
        rl_available=inputs.ppo_hint is not None,
        reason_tags=reason_tags,
    )


def decide_parts(
    p_short: float,
    p_mid: float,
    ppo_hint: float | None,
    vol_z: float,
    sentiment: float,
    liquidity: float,
    correlation: float,
    policy: Policy,
    bucket_limit_pct: float,
) -> tuple[float, dict[str, float], float, str, float, dict[str, float], tuple[str, ...]]:
    """:func:`decide` on plain arguments (the strategy's per-bar path: no input or result struct):
    ``(base, penalties, score, action, size, weights, reason_tags)``; ``rl_available`` is
    ``ppo_hint is not None``."""
    terms = _terms_of(policy, ppo_hint is not None)
    return decide_with(
        terms, p_short, p_mid, ppo_hint, vol_z, sentiment, liquidity, correlation, bucket_limit_pct
    )


def terms_for(policy: Policy, rl_available: bool) -> _Terms:
    """What :func:`decide_with` reads from ``policy``: a caller deciding many bars under one policy
    looks it up once (its ``weights`` dict is shared by those decisions: read it, never mutate it)."""
    return _terms_of(policy, rl_available)


def decide_with(
    t: _Terms,
    p_short: float,
    p_mid: float,
    ppo_hint: float | None,
    vol_z: float,
    sentiment: float,
    liquidity: float,
    correlation: float,
    bucket_limit_pct: float,
) -> tuple[float, dict[str, float], float, str, float, dict[str, float], tuple[str, ...]]:
    """:func:`decide_parts` on the terms of :func:`terms_for` (``ppo_hint is not None`` must be the
    ``rl_available`` they were looked up with)."""
    rl_available = ppo_hint is not None
    base = t.w_short * p_short + t.w_mid * p_mid
    if rl_available:
        base += t.w_rl * sigmoid(ppo_hint)

    penalties: dict[str, float] = {}
    if vol_z > t.vol_z:
        penalties["vol_spike"] = t.pen_vol
    if sentiment < t.sentiment:
        penalties["news_negative"] = t.pen_news
    if liquidity < t.liquidity:
        penalties["low_liquidity"] = t.pen_liquidity
    if correlation < t.correlation:
        penalties["correlation_breakdown"] = t.pen_correlation
    # min(1, max(0, x)) with max's and min's own tie and NaN rules (NaN -> 0.0); sum() only with terms
    x = base - sum(penalties.values()) if penalties else base
    x = x if x > 0.0 else 0.0
    score = x if x < 1.0 else 1.0
    if score >= t.buy:
        action = "BUY"
    elif score <= t.sell:
        action = "SELL"
    else:
        action = "HOLD"

    if action == "HOLD":
        size = 0.0
    else:
        size = bucket_limit_pct / 100.0 * 2.0 * abs(score - 0.5)
        if not rl_available:
            size *= t.size_factor
    # the reason tags (see _lean): the leans of the three models, news, volatility, liquidity, correlation
    short = "short_bullish" if p_short >= 0.55 else "short_bearish" if p_short <= 0.45 else "short_neutral"
    mid = "mid_bullish" if p_mid >= 0.55 else "mid_bearish" if p_mid <= 0.45 else "mid_neutral"
    rl = _LEAN_TAGS["rl"][_lean(sigmoid(ppo_hint))] if rl_available else "rl_missing"
    if "news_negative" in penalties:
        news = "news_negative"
    elif sentiment > -t.sentiment:
        news = "news_positive"
    else:
        news = "news_neutral"
    if not penalties:
        return base, penalties, score, action, size, t.weights, (short, mid, rl, news, "vol_normal")
    tags = (short, mid, rl, news, "vol_spike" if "vol_spike" in penalties else "vol_normal")
    if "low_liquidity" in penalties:
        tags += ("liquidity_low",)
    if "correlation_breakdown" in penalties:
        tags += ("correlation_breakdown",)
    return base, penalties, score, action, size, t.weights, tags


def _lean(p: float) -> str:
    if p >= 0.55:
        return "bullish"
    if p <= 0.45:
        return "bearish"
    return "neutral"


# tag strings built once, not formatted on every decision
_LEAN_TAGS = {
    prefix: {lean: f"{prefix}_{lean}" for lean in ("bullish", "bearish", "neutral")}
    for prefix in ("short", "mid", "rl")
}
