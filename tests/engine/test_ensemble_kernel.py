"""The ensemble formula inside the fused kernel (``engine.ensemble_kernel``) against ``decide_with``, bit for
bit: its numbers, and the penalties, action and reason tags its code decodes to, on drawn inputs (NaN,
infinities, exact thresholds) and policies, and on every real BTCUSDT bar's scores."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from engine.config import Policy
from engine.config_policy import BlendWeights, Penalties, PenaltyTriggers, Thresholds
from engine.ensemble import decide_with, terms_for
from engine.ensemble_kernel import (
    RESULTS,
    SIZE_OF,
    TERMS_ID,
    DecisionCodes,
    decide_common,
    load_terms,
    neumaier_add,
    unload_terms,
)
from tests.engine.test_ensemble_parts import _same, context, policies, probs, real_btcusdt_inputs


def _kernel(policy: Policy, limit: float, p_short, p_mid, vol_z, liquidity, terms_id: int = 7):
    """decide_with's tuple (less the weights) as the kernel and the code table give it."""
    terms = terms_for(policy, False)
    d = np.zeros(SIZE_OF)
    load_terms(d, terms, limit, terms_id)
    decide_common(d, p_short, p_mid, vol_z, liquidity)
    got_p_short, got_p_mid, got_vol_z, base, score, size, code, got_id = d[:RESULTS].tolist()
    assert got_id == terms_id
    assert _same((got_p_short, got_p_mid, got_vol_z), (p_short, p_mid, vol_z))
    penalties, action, tags = DecisionCodes(terms)[int(code)]
    return base, penalties, score, action, size, tags


def _python(policy: Policy, limit: float, p_short, p_mid, vol_z, liquidity):
    base, penalties, score, action, size, _, tags = decide_with(
        terms_for(policy, False), p_short, p_mid, None, vol_z, 0.0, liquidity, 1.0, limit
    )
    return base, penalties, score, action, size, tags


@settings(max_examples=600, deadline=None)
@given(probs, probs, context, context, policies(), st.floats(0.0, 100.0))
@example(  # three penalties whose sum() differs from their plain left-to-right sum in the last bit
    0.0,
    1.0,
    0.0,
    0.0,
    Policy(
        blend_weights=BlendWeights(short=0.0, mid=1.0, rl=1.0),
        penalties=Penalties(
            vol_spike=1.0, news_negative=0.18531470932314356, low_liquidity=0.4530418741507968
        ),
        triggers=PenaltyTriggers(vol_z=-1.0, sentiment=1.0, liquidity=1.0, correlation=0.0),
        thresholds=Thresholds(buy=1.0, sell=0.0),
    ),
    0.0,
)
def test_kernel_decision_equals_decide_with(p_short, p_mid, vol_z, liquidity, policy, limit):
    args = (policy, limit, p_short, p_mid, vol_z, liquidity)
    assert _same(_kernel(*args), _python(*args))


@pytest.mark.parametrize(
    ("p_short", "buy", "sell", "action"),
    [(0.67, 0.67, 0.33, "BUY"), (0.33, 0.67, 0.33, "SELL"), (1.0, 1.0, 0.0, "BUY"), (0.0, 1.0, 0.0, "SELL")],
)
def test_kernel_decision_at_the_thresholds(p_short, buy, sell, action):
    """A score exactly at a threshold takes it (drawn inputs rarely land there)."""
    policy = Policy(
        blend_weights=BlendWeights(short=1.0, mid=0.0, rl=0.0), thresholds=Thresholds(buy=buy, sell=sell)
    )
    args = (policy, 90.0, p_short, 0.5, 0.0, 1.0)
    got = _kernel(*args)
    assert got[2] == p_short and got[3] == action
    assert _same(got, _python(*args))


terms = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([0.0, -0.0, 1e308, -1e308]))


@settings(max_examples=800, deadline=None)
@given(st.lists(terms, min_size=1, max_size=4))
def test_kernel_penalty_sum_equals_python_sum(values):
    """The penalties are summed as CPython 3.12's sum() sums floats (compensated), bit for bit."""
    total, comp = 0.0, 0.0
    for x in values:
        total, comp = neumaier_add(total, comp, x)
    if comp != 0.0 and math.isfinite(comp):
        total += comp
    assert _same((total,), (sum(values),))


def test_kernel_decides_nothing_without_terms():
    d = np.zeros(SIZE_OF)
    load_terms(d, terms_for(Policy(), False), 90.0, 3)
    unload_terms(d)
    d[:RESULTS] = 0.5
    decide_common(d, 0.9, 0.9, 0.0, 1.0)
    assert d[TERMS_ID] == -1.0 and d[:TERMS_ID].tolist() == [0.5] * TERMS_ID


def test_kernel_decision_equals_decide_with_on_real_btcusdt_scores():
    scores, vol_zs, liquidities = real_btcusdt_inputs()
    policy = Policy()
    actions, tags = set(), set()
    for (p_short, p_mid), vol_z, liquidity in zip(
        scores.tolist(), vol_zs.tolist(), liquidities.tolist(), strict=True
    ):
        got = _kernel(policy, 90.0, p_short, p_mid, vol_z, liquidity)
        assert _same(got, _python(policy, 90.0, p_short, p_mid, vol_z, liquidity))
        actions.add(got[3])
        tags.update(got[5])
    assert len(scores) > 29_000 and actions == {"BUY", "SELL", "HOLD"}
    assert {"vol_spike", "liquidity_low", "short_bullish", "mid_bearish"} <= tags
