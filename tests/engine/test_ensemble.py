import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.config import Policy, load_config
from engine.ensemble import EnsembleInputs, decide, effective_weights, sigmoid

POLICY = Policy()


def inputs(**kw):
    base = dict(
        p_short=0.5, p_mid=0.5, ppo_hint=0.0, vol_z=0.0, sentiment=0.0, liquidity=1.0, correlation=1.0
    )
    base.update(kw)
    return EnsembleInputs(**base)


def test_seed_formula_exact():
    d = decide(inputs(p_short=0.9, p_mid=0.8, ppo_hint=1.0), POLICY, bucket_limit_pct=90.0)
    base = 0.4 * 0.9 + 0.3 * 0.8 + 0.3 * sigmoid(1.0)
    assert d.base == pytest.approx(base, abs=1e-15)
    assert d.score == pytest.approx(base)
    assert d.action == "BUY"
    assert d.size == pytest.approx(0.9 * 2 * abs(base - 0.5))
    assert d.penalties == {}


def test_each_penalty_applies_with_its_amount():
    d = decide(
        inputs(
            p_short=0.9, p_mid=0.9, ppo_hint=2.0, vol_z=2.5, sentiment=-0.5, liquidity=0.2, correlation=0.1
        ),
        POLICY,
        bucket_limit_pct=90.0,
    )
    assert d.penalties == {
        "vol_spike": 0.15,
        "news_negative": 0.10,
        "low_liquidity": 0.05,
        "correlation_breakdown": 0.08,
    }
    assert d.score == pytest.approx(d.base - 0.38)
    assert {"vol_spike", "news_negative", "liquidity_low", "correlation_breakdown"} <= set(d.reason_tags)


def test_triggers_are_strict_inequalities():
    d = decide(
        inputs(vol_z=2.0, sentiment=-0.3, liquidity=0.5, correlation=0.4), POLICY, bucket_limit_pct=90.0
    )
    assert d.penalties == {}


def test_nan_context_never_penalises():
    d = decide(
        inputs(vol_z=math.nan, sentiment=math.nan, liquidity=math.nan, correlation=math.nan),
        POLICY,
        bucket_limit_pct=90.0,
    )
    assert d.penalties == {}


def test_thresholds_inclusive_and_hold_has_zero_size():
    buy_policy = load_config(
        overrides=[
            "policy.blend_weights.rl=0.0",
            "policy.blend_weights.short=1.0",
            "policy.blend_weights.mid=0.0",
        ]
    ).policy
    assert decide(inputs(p_short=0.67), buy_policy, bucket_limit_pct=90).action == "BUY"
    assert decide(inputs(p_short=0.33), buy_policy, bucket_limit_pct=90).action == "SELL"
    hold = decide(inputs(p_short=0.5), buy_policy, bucket_limit_pct=90)
    assert hold.action == "HOLD" and hold.size == 0.0


def test_missing_rl_renormalises_and_halves_size():
    w = effective_weights(POLICY, rl_available=False)
    assert w["short"] == pytest.approx(0.4 / 0.7) and w["mid"] == pytest.approx(0.3 / 0.7) and w["rl"] == 0.0
    d = decide(inputs(p_short=0.95, p_mid=0.9, ppo_hint=None), POLICY, bucket_limit_pct=90.0)
    assert not d.rl_available and "rl_missing" in d.reason_tags
    expected_score = (0.4 * 0.95 + 0.3 * 0.9) / 0.7
    assert d.score == pytest.approx(expected_score)
    assert d.size == pytest.approx(0.9 * 2 * abs(expected_score - 0.5) * 0.5)


def test_policy_values_come_from_config_not_literals():
    policy = load_config(overrides=["policy.penalties.vol_spike=0.5", "policy.thresholds.buy=0.9"]).policy
    d = decide(inputs(p_short=1.0, p_mid=1.0, ppo_hint=5.0, vol_z=3.0), policy, bucket_limit_pct=90.0)
    assert d.penalties["vol_spike"] == 0.5
    assert d.action == "HOLD"  # 0.998 - 0.5 < 0.9


@given(
    p_short=st.floats(0, 1),
    p_mid=st.floats(0, 1),
    hint=st.one_of(st.none(), st.floats(-50, 50)),
    vol_z=st.floats(-10, 10),
    sentiment=st.floats(-1, 1),
    liquidity=st.floats(0, 1),
    corr=st.floats(-1, 1),
    bucket=st.floats(0, 100),
)
def test_score_and_size_bounds(p_short, p_mid, hint, vol_z, sentiment, liquidity, corr, bucket):
    d = decide(
        inputs(
            p_short=p_short,
            p_mid=p_mid,
            ppo_hint=hint,
            vol_z=vol_z,
            sentiment=sentiment,
            liquidity=liquidity,
            correlation=corr,
        ),
        POLICY,
        bucket_limit_pct=bucket,
    )
    assert 0.0 <= d.score <= 1.0
    assert 0.0 <= d.size <= bucket / 100.0 + 1e-12
    assert d.action in ("BUY", "SELL", "HOLD")
    assert (d.action == "BUY") == (d.score >= 0.67)
