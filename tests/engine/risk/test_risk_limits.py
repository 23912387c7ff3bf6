"""Limits resolution: percent -> fraction, rollout-mode scaling, profiles, regime deltas, do-not-trade."""

from __future__ import annotations

import pytest

from engine.config import RiskConfig, load_config
from engine.risk.limits import MODE_SCALES, Limits, resolve_limits


def test_runbook_defaults_resolve_to_fractions_of_nav() -> None:
    # Arrange
    risk = load_config().risk

    # Act
    limits = resolve_limits(risk, "demo")

    # Assert
    assert limits.per_name == {"core": 0.015, "penny": 0.004, "fno": 0.007}
    assert limits.bucket == {"core": 0.9, "penny": 0.02, "fno": 0.05}
    assert limits.trim_buffer == 0.1
    assert (limits.single_name, limits.top_n_frac, limits.sector_gross, limits.sector_net) == (0, 0, 0, 0)
    assert (limits.gross_max, limits.net_max_abs, limits.max_positions) == (0, 0, 0)
    assert limits.long_only is False
    assert limits.fno_allowed is True
    assert limits.mode == "demo"
    assert limits.penny == risk.penny


@pytest.mark.parametrize("mode", ["demo", "full"])
def test_demo_and_full_keep_every_cap(mode: str) -> None:
    limits = resolve_limits(RiskConfig(), mode)

    assert limits.per_name == {"core": 0.015, "penny": 0.004, "fno": 0.007}
    assert limits.bucket == {"core": 0.9, "penny": 0.02, "fno": 0.05}
    assert not limits.long_only
    assert limits.fno_allowed


def test_micro_is_a_quarter_of_every_cap_long_only_without_fno() -> None:
    limits = resolve_limits(RiskConfig(), "micro")

    assert limits.per_name == {"core": 0.00375, "penny": 0.001, "fno": 0.00175}
    assert limits.bucket == {"core": 0.225, "penny": 0.005, "fno": 0.0125}
    assert limits.long_only is True
    assert limits.fno_allowed is False


def test_limited_keeps_core_and_halves_penny_and_fno() -> None:
    limits = resolve_limits(RiskConfig(), "limited")

    assert limits.per_name == {"core": 0.015, "penny": 0.002, "fno": 0.0035}
    assert limits.bucket == {"core": 0.9, "penny": 0.01, "fno": 0.025}
    assert limits.long_only is False
    assert limits.fno_allowed is True


def test_mode_scales_cover_every_wire_mode() -> None:
    assert set(MODE_SCALES) == {"demo", "micro", "limited", "full"}


def test_unknown_mode_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown mode 'live'"):
        resolve_limits(RiskConfig(), "live")


def test_policy_without_shorts_is_long_only_in_every_mode() -> None:
    assert resolve_limits(RiskConfig(), "full", allow_short=False).long_only is True
    assert resolve_limits(RiskConfig(), "full", allow_short=True).long_only is False


def test_guardrails_profile_resolves_to_seed_003_values() -> None:
    # Arrange
    risk = load_config(overrides=["risk.profile=guardrails"]).risk

    # Act
    limits = resolve_limits(risk, "demo")

    # Assert
    assert limits.max_positions == 8
    assert limits.single_name == 0.25
    assert (limits.top_n, limits.top_n_frac) == (5, 0.5)
    assert limits.sector_gross == 0.4
    assert limits.per_name["core"] == 0.25
    assert limits.bucket["core"] == 1.0


def test_long_short_profile_resolves_to_seed_000_values() -> None:
    # Arrange
    config = load_config(overrides=["risk.profile=long_short"])

    # Act
    limits = resolve_limits(config.risk, "full", allow_short=config.policy.allow_short)

    # Assert
    assert limits.gross_max == 2.0
    assert limits.gross_min == 1.8
    assert limits.net_max_abs == 0.05
    assert limits.single_name == 0.05
    assert limits.sector_net == 0.1
    assert limits.per_name["core"] == 0.05
    assert limits.bucket["core"] == 2.0
    assert limits.long_only is False


def test_bucket_caps_delta_tightens_before_the_mode_scale() -> None:
    # Arrange: the seed's REGIME_AUDITOR example response
    delta = {"penny": -0.01, "fno": -0.02, "core": 0.0}

    # Act
    demo = resolve_limits(RiskConfig(), "demo", bucket_caps_delta=delta)
    limited = resolve_limits(RiskConfig(), "limited", bucket_caps_delta=delta)

    # Assert
    assert demo.bucket == {"core": 0.9, "penny": 0.01, "fno": 0.03}
    assert limited.bucket == {"core": 0.9, "penny": 0.005, "fno": 0.015}
    assert demo.per_name == {"core": 0.015, "penny": 0.004, "fno": 0.007}


def test_bucket_caps_delta_clips_at_zero_and_never_loosens_a_hard_cap() -> None:
    limits = resolve_limits(RiskConfig(), "demo", bucket_caps_delta={"penny": -0.5, "core": 0.3})

    assert limits.bucket["penny"] == 0.0
    assert limits.bucket["core"] == 0.9


@pytest.mark.parametrize("delta", [{"sip": -0.01}, {"core": float("nan")}])
def test_bucket_caps_delta_rejects_unknown_buckets_and_non_finite_values(delta: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="bucket_caps_delta"):
        resolve_limits(RiskConfig(), "demo", bucket_caps_delta=delta)


def test_do_not_trade_joins_config_and_extra_lists() -> None:
    risk = load_config(overrides=['risk.do_not_trade=["AAA.TO"]']).risk

    limits = resolve_limits(risk, "demo", extra_do_not_trade=["SYMBOL1", "SYMBOL2"])

    assert limits.do_not_trade == frozenset({"AAA.TO", "SYMBOL1", "SYMBOL2"})


def test_name_cap_is_the_tighter_of_per_name_and_single_name() -> None:
    limits = Limits(per_name={"core": 0.3, "penny": 0.004}, bucket={"core": 1.0}, single_name=0.25)

    assert limits.name_cap("core") == 0.25
    assert limits.name_cap("penny") == 0.004
    assert limits.name_cap("other") == 0.25
    assert Limits(per_name={}, bucket={}).name_cap("other") == float("inf")
