"""Failure-mode hooks (seed 001 "Failure Mode Responses"): flags, the seed's alert texts, idempotence."""

from __future__ import annotations

from engine.risk.failsafe import EscalationAttempt, FailureModes


def _attempt(ts: int) -> EscalationAttempt:
    return EscalationAttempt(ts=ts, call_type="REGIME_AUDITOR", error="HTTP 503", request_id=f"r{ts}")


def test_data_stall_alerts_once_and_resumes() -> None:
    modes = FailureModes()

    first = modes.data_stalled(10)
    again = modes.data_stalled(11)

    assert [(a.severity, a.code, a.message, a.ts_event) for a in first] == [
        ("critical", "data_stall", "Data feed interrupted—holding positions", 10)
    ]
    assert again == () and modes.stalled and modes.degraded
    assert [a.code for a in modes.data_resumed(12)] == ["data_resumed"]
    assert modes.data_resumed(13) == () and not modes.stalled and not modes.degraded


def test_reasoner_offline_freezes_features_and_goes_rl_only() -> None:
    modes = FailureModes()

    alerts = modes.reasoner_offline(5)

    assert [a.message for a in alerts] == ["Local reasoner offline—using RL-only mode"]
    assert modes.rl_only and modes.features_frozen
    assert modes.reasoner_offline(6) == ()
    assert [a.code for a in modes.reasoner_online(7)] == ["reasoner_online"]
    assert not modes.rl_only and not modes.features_frozen
    assert modes.reasoner_online(8) == ()


def test_gpt5_failures_are_all_logged_but_alert_once() -> None:
    modes = FailureModes()

    first = modes.gpt5_failed(1, _attempt(1))
    second = modes.gpt5_failed(2, _attempt(2))

    assert [a.message for a in first] == ["GPT-5 unavailable—using local reasoner"]
    assert first[0].tags == ("REGIME_AUDITOR",)
    assert second == () and modes.use_local_reasoner
    assert [a.request_id for a in modes.attempts] == ["r1", "r2"]
    recovered = modes.gpt5_recovered(3)
    assert [a.message for a in recovered] == ["GPT-5 available again after 2 failed calls"]
    assert modes.attempts == [] and not modes.use_local_reasoner
    assert modes.gpt5_recovered(4) == ()


def test_rl_missing_reduces_sizing_once() -> None:
    modes = FailureModes()

    alerts = modes.rl_missing(9)

    assert [(a.code, a.message) for a in alerts] == [
        ("rl_model_missing", "RL models unavailable—reduced position sizing")
    ]
    assert modes.reduced_sizing and modes.rl_missing(10) == ()
    assert [a.code for a in modes.rl_available(11)] == ["rl_available"] and not modes.reduced_sizing
