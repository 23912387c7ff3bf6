"""Bounded application of policy updates: whole or nothing, every bound of the table enforced."""

from __future__ import annotations

import math

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.config import AureusConfig, Policy, load_config
from engine.policy.answers import propose_update
from engine.policy.apply import apply_update
from engine.policy.bounds import BOUNDS, PolicyLimits, check_policy
from engine.policy.errors import PolicyBoundsError
from schemas.control import PolicyUpdate
from schemas.escalation import decode_llm_response

CFG = AureusConfig()
LIMITS = PolicyLimits.from_config(CFG.risk, CFG.escalation, frozenset({"BTCUSDT", "ETHUSDT"}))
BASE = CFG.policy
TS = 1_678_000_000_000_000_000


def regime(short=0.1, mid=-0.1, rl=0.0, penny=-0.01, fno=-0.02, core=0.0, dnt=("BTCUSDT",)) -> bytes:
    return msgspec.json.encode(
        {
            "regime_label": "volatile",
            "blend_weights_delta": {"short": short, "mid": mid, "rl": rl},
            "bucket_caps_delta": {"penny": penny, "fno": fno, "core": core},
            "do_not_trade_list": list(dnt),
        }
    )


def propose(call_type: str, raw: bytes, *, policy: Policy = BASE, source: str = "gpt5"):
    answer = decode_llm_response(call_type, raw)
    return propose_update(call_type, answer, policy, LIMITS, source=source, request_id="r1", ts_event=TS)


def test_seed_regime_answer_gives_a_new_renormalised_version():
    update, new = propose("REGIME_AUDITOR", regime())
    assert new.version == update.version != BASE.version
    assert update.previous_version == BASE.version
    w = new.blend_weights
    assert math.isclose(w.short + w.mid + w.rl, 1.0)
    assert math.isclose(w.short, 0.5) and math.isclose(w.mid, 0.2) and math.isclose(w.rl, 0.3)
    assert math.isclose(new.bucket_caps.penny, 0.01) and math.isclose(new.bucket_caps.fno, 0.03)
    assert [(e.symbol, e.until_ns) for e in new.do_not_trade_list] == [
        ("BTCUSDT", TS + LIMITS.do_not_trade_ttl_ns)
    ]


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (regime(short=0.11, mid=-0.11), "outside ±0.1"),
        (regime(core=0.01), "bucket_caps.core"),  # loosening past the 90 % hard clamp
        (regime(penny=-0.03), "bucket_caps.penny"),  # below zero
        (regime(dnt=("AAPL",)), "unknown instrument"),
    ],
)
def test_out_of_bounds_regime_answer_is_rejected_whole(raw, problem):
    with pytest.raises(PolicyBoundsError, match=problem.replace("(", r"\(")):
        propose("REGIME_AUDITOR", raw)


def reward(returns=0.6, turnover=0.2, drawdown=0.2, rate=0.01, disabled=("rsi_14",)) -> bytes:
    return msgspec.json.encode(
        {
            "reward_coefficients": {"returns": returns, "turnover": turnover, "drawdown": drawdown},
            "turnover_penalties": {"penalty_rate": rate},
            "disabled_features": list(disabled),
        }
    )


def test_reward_coefficients_are_normalised_and_features_must_be_known():
    _, new = propose("REWARD_ENGINEER", reward(returns=3.0, turnover=1.0, drawdown=1.0))
    r = new.reward_coefficients
    assert (r.returns, r.turnover, r.drawdown) == (0.6, 0.2, 0.2)
    assert new.disabled_features == ("rsi_14",)
    for bad, match in (
        (reward(returns=-0.1), "non-negative"),
        (reward(disabled=("feature1",)), "unknown features"),
        (reward(rate=0.5), "penalty_rate"),
    ):
        with pytest.raises(PolicyBoundsError, match=match):
            propose("REWARD_ENGINEER", bad)


def test_frozen_feature_toggles_are_not_changed():
    frozen = msgspec.structs.replace(BASE, rl_only=True)
    update, new = propose("REWARD_ENGINEER", reward(), policy=frozen)
    assert "disabled_features" not in update.overrides and new.disabled_features == ()


def sanity(stay_demo=False, max_pct=0.015, atr=1.8, trailing=1.2) -> bytes:
    return msgspec.json.encode(
        {
            "stay_demo": stay_demo,
            "live_changes": {
                "max_position_pct": max_pct,
                "stop_multipliers": {"atr": atr, "trailing": trailing},
            },
        }
    )


def test_sanity_answer_bounds_and_who_may_clear_quarantine():
    update, new = propose("SANITY_JUDGE", sanity(max_pct=0.01, atr=2.0))
    assert update.overrides["stay_demo"] is False
    assert new.max_position_pct == 0.01 and new.stop_multipliers.atr == 2.0
    local, _ = propose("SANITY_JUDGE", sanity(), source="ollama")
    assert "stay_demo" not in local.overrides
    for bad in (sanity(max_pct=1.0), sanity(max_pct=0.0), sanity(atr=0.5), sanity(trailing=3.5)):
        with pytest.raises(PolicyBoundsError):
            propose("SANITY_JUDGE", bad)


def test_node_side_checks_names_and_sources_again():
    forged = PolicyUpdate(
        version="pv-x",
        ts_event=TS,
        source="ollama",
        deltas={"thresholds.buy": -0.5},
        reason="x",
        overrides={"stay_demo": False, "allow_short": False},
    )
    with pytest.raises(PolicyBoundsError) as e:
        apply_update(BASE, forged, LIMITS)
    text = str(e.value)
    assert "thresholds.buy" in text and "allow_short" in text and "only a GPT-5" in text


def test_every_tunable_in_the_table_is_a_policy_field():
    fields = set(msgspec.structs.asdict(BASE)) | {"stay_demo"}
    for name in BOUNDS:
        assert name.split(".")[0] in fields, name


def test_default_policy_keeps_its_own_bounds():
    assert check_policy(BASE, LIMITS) == []
    kill_reachable = load_config(overrides=["risk.caps.per_name_pct.core=90"])
    assert PolicyLimits.from_config(kill_reachable.risk, kill_reachable.escalation).per_name_cap == 0.9


finite = st.floats(min_value=-5.0, max_value=5.0, allow_nan=False)


@settings(max_examples=150, deadline=None)
@given(
    st.tuples(finite, finite, finite, finite, finite, finite),
    st.lists(st.sampled_from(["BTCUSDT", "ETHUSDT", "AAPL", "x"]), max_size=3),
)
def test_any_regime_answer_is_rejected_or_keeps_every_bound(deltas, dnt):
    raw = regime(*deltas, dnt=tuple(dnt))
    try:
        _, new = propose("REGIME_AUDITOR", raw)
    except PolicyBoundsError:
        return
    assert check_policy(new, LIMITS, now_ns=TS) == []
    for old, cur in zip(
        msgspec.structs.astuple(BASE.blend_weights), msgspec.structs.astuple(new.blend_weights), strict=True
    ):
        assert abs(cur - old) <= 0.2 + 1e-9  # ±0.1 per weight, then renormalised
