"""Acceptance: three kill days in ten trading days put the next seven trading days in demo (seed 001)."""

from __future__ import annotations

import pytest
from risk_scenario import (
    CONFIGURED_MODE,
    KILL_DAYS,
    KILL_HOUR,
    N_DAYS,
    PROFIT_DAYS,
    default_risk,
    marks_of_days,
    run_marks,
    trading_dates,
)

from engine.risk.notices import GPT5_CLEARED_BY, KILL_SWITCH_MESSAGE, QUARANTINE_MESSAGE
from engine.risk.supervisor import RiskSupervisor
from engine.state import MemoryStateStore
from schemas.escalation import LiveChanges, SanityJudgeResponse, StopMultipliers
from schemas.risk import KillSwitchTriggered, ModeChanged, QuarantineChanged

DAYS = trading_dates()
D = {n: DAYS[n - 1] for n in range(1, N_DAYS + 1)}  # trading day number -> date
QUARANTINE = [D[n] for n in range(8, 15)]  # the 7 trading days after the third kill (day 7)
POST_KILL = [D[2], D[5], D[8]]


def _judge(stay_demo: bool) -> SanityJudgeResponse:
    return SanityJudgeResponse(
        stay_demo=stay_demo,
        live_changes=LiveChanges(
            max_position_pct=0.015, stop_multipliers=StopMultipliers(atr=1.8, trailing=1.2)
        ),
    )


def _supervisor() -> RiskSupervisor:
    return RiskSupervisor(default_risk(), CONFIGURED_MODE, store=MemoryStateStore())


def test_three_kills_in_ten_days_quarantine_the_next_seven_trading_days() -> None:
    sup = _supervisor()

    logs = run_marks(sup, marks_of_days(1, N_DAYS))

    assert list(logs) == DAYS  # weekends have no marks and are not trading days
    assert sup.state.kill_days == tuple(D[n] for n in KILL_DAYS)
    assert sup.state.activations == 3
    assert sup.quarantine_days == tuple(QUARANTINE)
    assert sup.demo_days == (D[2], D[5], *QUARANTINE)
    expected_modes = {
        day: "demo" if day in QUARANTINE or day in POST_KILL else CONFIGURED_MODE for day in DAYS
    }
    assert {day: log.mode_at_open for day, log in logs.items()} == expected_modes
    assert {day: log.mode_at_close for day, log in logs.items()} == expected_modes
    assert {day: log.flattens for day, log in logs.items()} == {
        day: 1 if n in KILL_DAYS else 0 for n, day in D.items()
    }
    assert sup.mode == CONFIGURED_MODE
    assert sup.state.quarantine_remaining == 0
    assert [e.day for e in sup.state.sip_ledger] == [D[n] for n in PROFIT_DAYS]


def test_kill_fires_at_the_exact_threshold_mark_with_the_seed_alert() -> None:
    sup = _supervisor()

    logs = run_marks(sup, marks_of_days(1, 1))

    flattening = [i for i, u in enumerate(logs[D[1]].updates) if u.flatten]
    assert flattening == [KILL_HOUR - 1]
    update = logs[D[1]].updates[KILL_HOUR - 1]
    assert update.day_pnl == pytest.approx(-0.025)
    kill = next(e for e in update.events if isinstance(e, KillSwitchTriggered))
    assert kill.trading_day == D[1] and kill.threshold == pytest.approx(-0.025)
    assert kill.reason == "Daily P&L -2.5% below threshold"
    assert [(a.severity, a.code, a.message) for a in update.alerts] == [
        ("critical", "kill_switch_armed", KILL_SWITCH_MESSAGE)
    ]
    assert update.trading_state == "HALTED"
    assert all(not u.flatten and u.trading_state is None for u in logs[D[1]].updates[KILL_HOUR:])


def test_third_kill_activates_quarantine_with_the_seed_alert() -> None:
    sup = _supervisor()

    logs = run_marks(sup, marks_of_days(1, 7))

    update = logs[D[7]].updates[KILL_HOUR - 1]
    quarantine = [e for e in update.events if isinstance(e, QuarantineChanged)]
    assert len(quarantine) == 1 and quarantine[0].active
    assert quarantine[0].kill_switch_days == (D[1], D[4], D[7])
    assert ("critical", "quarantine_active", QUARANTINE_MESSAGE) in [
        (a.severity, a.code, a.message) for a in update.alerts
    ]
    assert sup.mode == CONFIGURED_MODE  # the kill day keeps its mode: the flatten goes where positions are
    assert sup.state.quarantine_remaining == 7 and sup.state.quarantine_started == D[7]


def test_quarantine_counts_down_and_expires_on_the_eighth_trading_day() -> None:
    sup = _supervisor()

    logs = run_marks(sup, marks_of_days(1, N_DAYS))

    first_of_quarantine = logs[D[8]].updates[0]
    assert [a.message for a in first_of_quarantine.alerts if a.code == "quarantine_days_remaining"] == [
        "Demo quarantine active—7 days remaining"
    ]
    assert first_of_quarantine.mode == "demo"
    expiry = logs[D[15]].updates[0]
    assert [e for e in expiry.events if isinstance(e, QuarantineChanged)] == [
        QuarantineChanged(ts_event=expiry.events[0].ts_event, active=False, reason="expired")
    ]
    assert expiry.mode == CONFIGURED_MODE


@pytest.mark.parametrize("stay_demo", [False, True])
def test_sanity_judge_mid_quarantine(stay_demo: bool) -> None:
    sup = _supervisor()
    logs = run_marks(sup, marks_of_days(1, 10)[:-12])  # up to trading day 10, hour 12
    assert sup.mode == "demo"
    ts = marks_of_days(10, 10)[11].ts

    update = sup.record_sanity_judge(ts, _judge(stay_demo), call_id="sj-1")

    approval = sup.state.approvals[-1]
    assert (approval.call_id, approval.stay_demo, approval.cleared, approval.day) == (
        "sj-1",
        stay_demo,
        not stay_demo,
        D[10],
    )
    if stay_demo:
        assert update.events == () and update.mode is None
        assert sup.mode == "demo"
    else:
        cleared = [e for e in update.events if isinstance(e, QuarantineChanged)]
        assert len(cleared) == 1 and not cleared[0].active and cleared[0].cleared_by == GPT5_CLEARED_BY
        assert [e for e in update.events if isinstance(e, ModeChanged)][0].current == CONFIGURED_MODE
        assert update.mode == CONFIGURED_MODE and sup.mode == CONFIGURED_MODE
    logs = run_marks(sup, marks_of_days(10, N_DAYS)[12:], logs)

    if stay_demo:
        assert sup.quarantine_days == tuple(QUARANTINE)
        assert logs[D[11]].mode_at_open == "demo"
    else:
        assert sup.quarantine_days == (D[8], D[9], D[10])
        assert sup.demo_days == (D[2], D[5], D[8], D[9], D[10])
        assert logs[D[10]].mode_at_close == CONFIGURED_MODE
        assert all(logs[D[n]].mode_at_open == CONFIGURED_MODE for n in range(11, N_DAYS + 1))
        assert all(
            not isinstance(e, QuarantineChanged)
            for n in range(11, N_DAYS + 1)
            for u in logs[D[n]].updates
            for e in u.events
        )


def test_operator_override_does_not_lift_quarantine() -> None:
    sup = _supervisor()
    run_marks(sup, marks_of_days(1, 8)[:-12])  # first quarantine day (also a post-kill day)

    update = sup.record_override(marks_of_days(8, 8)[12].ts, by="ops", reason="trust me")

    assert update.mode is None and sup.mode == "demo"
    assert sup.state.overrides[-1].applied  # it lifted the post-kill part of the day, not the quarantine
    assert sup.state.quarantine_today and sup.state.quarantine_remaining == 6


def test_sanity_judge_on_the_third_kill_day_prevents_the_quarantine() -> None:
    sup = _supervisor()
    logs = run_marks(sup, marks_of_days(1, 7))
    kill_ts = logs[D[7]].updates[KILL_HOUR - 1].events[0].ts_event

    sup.record_sanity_judge(kill_ts, _judge(False), call_id="sj-kill-7")
    run_marks(sup, marks_of_days(8, N_DAYS), logs)

    assert sup.halted is False
    assert logs[D[7]].halted_at_close  # the judge does not un-halt the kill day itself
    assert sup.quarantine_days == ()
    assert sup.demo_days == (D[2], D[5])
