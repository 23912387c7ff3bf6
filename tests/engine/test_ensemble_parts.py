"""``decide_parts`` (the strategy's per-bar ensemble: per-policy terms looked up once, the clamp and the
reason tags inlined) against the plain formula it replaced, copied here verbatim: equal results, bit for
bit, on drawn inputs (NaN, infinities, exact thresholds) and policies, and on every real BTCUSDT bar."""

from __future__ import annotations

import math

import msgspec
import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from aureus.paths import REPO_ROOT
from engine.config import Policy
from engine.config_policy import BlendWeights, Penalties, PenaltyTriggers, Thresholds
from engine.ensemble import decide_parts, effective_weights, sigmoid
from engine.features.vector import FeatureParams, compute_feature_extras, compute_feature_matrix
from engine.models.runtime import ModelBundle

BTC_CSV = "/work/shared/data/crypto_1m_2023-03_binanceus/BTCUSDT_1m_20230301_20230321.csv"


def _lean(p):
    return "bullish" if p >= 0.55 else "bearish" if p <= 0.45 else "neutral"


def plain(p_short, p_mid, ppo_hint, vol_z, sentiment, liquidity, correlation, policy, bucket_limit_pct):
    """The formula as engine.ensemble.decide computed it before decide_parts."""
    rl_available = ppo_hint is not None
    weights = effective_weights(policy, rl_available)
    base = weights["short"] * p_short + weights["mid"] * p_mid
    if rl_available:
        base += weights["rl"] * sigmoid(ppo_hint)
    trig, pen = policy.triggers, policy.penalties
    penalties = {}
    if vol_z > trig.vol_z:
        penalties["vol_spike"] = pen.vol_spike
    if sentiment < trig.sentiment:
        penalties["news_negative"] = pen.news_negative
    if liquidity < trig.liquidity:
        penalties["low_liquidity"] = pen.low_liquidity
    if correlation < trig.correlation:
        penalties["correlation_breakdown"] = pen.correlation_breakdown
    score = min(1.0, max(0.0, base - sum(penalties.values())))
    if score >= policy.thresholds.buy:
        action = "BUY"
    elif score <= policy.thresholds.sell:
        action = "SELL"
    else:
        action = "HOLD"
    size = bucket_limit_pct / 100.0 * 2.0 * abs(score - 0.5)
    if not rl_available:
        size *= policy.rl_missing_size_factor
    if action == "HOLD":
        size = 0.0
    rl = f"rl_{_lean(sigmoid(ppo_hint))}" if ppo_hint is not None else "rl_missing"
    if "news_negative" in penalties:
        news = "news_negative"
    elif sentiment > -trig.sentiment:
        news = "news_positive"
    else:
        news = "news_neutral"
    tags = (f"short_{_lean(p_short)}", f"mid_{_lean(p_mid)}", rl, news)
    tags += ("vol_spike" if "vol_spike" in penalties else "vol_normal",)
    if "low_liquidity" in penalties:
        tags += ("liquidity_low",)
    if "correlation_breakdown" in penalties:
        tags += ("correlation_breakdown",)
    return base, penalties, score, action, size, weights, tags


def _same(a, b) -> bool:
    """Equal tuples, floats compared by their bits (so -0.0 != 0.0 and NaN == NaN)."""
    return msgspec.json.encode(a) == msgspec.json.encode(b) and all(
        (math.copysign(1.0, x) == math.copysign(1.0, y)) if isinstance(x, float) else True
        for x, y in zip(a, b, strict=True)
    )


edges = st.sampled_from([0.0, -0.0, 0.45, 0.55, 0.5, 1.0, 0.33, 0.67, math.nan, math.inf, -math.inf])
probs = st.one_of(st.floats(0.0, 1.0), edges)
context = st.one_of(st.floats(-5.0, 5.0), edges)
weights = st.floats(0.0, 2.0)


@st.composite
def policies(draw):
    return Policy(
        blend_weights=BlendWeights(short=draw(weights), mid=draw(weights), rl=draw(weights)),
        penalties=Penalties(
            vol_spike=draw(st.floats(0.0, 1.0)),
            news_negative=draw(st.floats(0.0, 1.0)),
            low_liquidity=draw(st.floats(0.0, 1.0)),
            correlation_breakdown=draw(st.floats(0.0, 1.0)),
        ),
        triggers=PenaltyTriggers(
            vol_z=draw(st.floats(-3.0, 3.0)),
            sentiment=draw(st.floats(-1.0, 1.0)),
            liquidity=draw(st.floats(0.0, 1.0)),
            correlation=draw(st.floats(-1.0, 1.0)),
        ),
        thresholds=Thresholds(buy=draw(st.floats(0.5, 1.0)), sell=draw(st.floats(0.0, 0.5))),
        rl_missing_size_factor=draw(st.floats(0.0, 1.0)),
        rl_only=draw(st.booleans()),
    )


@settings(max_examples=600, deadline=None)
@given(
    probs, probs, st.one_of(st.none(), st.floats(-10, 10), edges), context, context, context, context,
    policies(), st.floats(0.0, 100.0),
)  # fmt: skip
def test_decide_parts_equals_the_plain_formula(p_short, p_mid, ppo, vol_z, sent, liq, corr, policy, limit):
    args = (p_short, p_mid, ppo, vol_z, sent, liq, corr, policy, limit)
    assert _same(decide_parts(*args), plain(*args))


def real_btcusdt_inputs() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The baseline models' scores ``(n, 2)``, vol z-score and liquidity of every ready BTCUSDT bar."""
    bars = pd.read_csv(BTC_CSV)
    cols = [bars[k].to_numpy(np.float64) for k in ("open", "high", "low", "close", "volume")]
    x = compute_feature_matrix(*cols, FeatureParams())
    extras = compute_feature_extras(*cols, FeatureParams())
    ready = np.isfinite(x).all(axis=1)
    bundle = ModelBundle.load(REPO_ROOT / "models" / "baseline", params=FeatureParams(), cpu_runtime="numba")
    return bundle.predict_batch(x[ready]), extras[ready, 0], extras[ready, 2]


def test_decide_parts_equals_the_plain_formula_on_real_btcusdt_scores():
    scores, vol_z, liquidity = real_btcusdt_inputs()
    policy = Policy()
    actions = set()
    for (p_short, p_mid), vz, liq in zip(scores.tolist(), vol_z.tolist(), liquidity.tolist(), strict=True):
        args = (p_short, p_mid, None, vz, 0.0, liq, 1.0, policy, 90.0)
        got = decide_parts(*args)
        assert _same(got, plain(*args))
        actions.add(got[3])
    assert len(scores) > 29_000 and actions == {"BUY", "SELL", "HOLD"}
