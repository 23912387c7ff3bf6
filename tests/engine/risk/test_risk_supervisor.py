"""Unit cases of the kill switch, start-of-day NAV, SIP ledger, overrides and SANITY_JUDGE approvals."""

from __future__ import annotations

from datetime import date, timedelta

import msgspec
import pytest

from engine.config import KillSwitchConfig, RiskConfig, SipConfig
from engine.errors import RiskInputError, StateStoreError, StateStoreUnavailableError
from engine.risk.notices import KILL_SWITCH_MESSAGE
from engine.risk.state import decode_risk_state, encode_risk_state
from engine.risk.supervisor import RiskSupervisor
from engine.risk.updates import kill_threshold_crossed
from engine.state import MemoryStateStore
from schemas.escalation import LiveChanges, SanityJudgeResponse, StopMultipliers
from schemas.risk import KillSwitchTriggered, ModeChanged, TradingStateChanged

H = 3_600 * 1_000_000_000
DAY = 24 * H
D0 = 20_000 * DAY  # 2024-10-04 00:00 UTC


def ts(day: int, hour: int) -> int:
    """Engine time of the mark closing hour ``hour`` (1..24) of day ``day`` (0-based)."""
    return D0 + day * DAY + hour * H


def day_str(day: int) -> str:
    return (date(1970, 1, 1) + timedelta(days=20_000 + day)).isoformat()


def judge(stay_demo: bool) -> SanityJudgeResponse:
    return SanityJudgeResponse(
        stay_demo=stay_demo,
        live_changes=LiveChanges(
            max_position_pct=0.015, stop_multipliers=StopMultipliers(atr=1.8, trailing=1.2)
        ),
    )


@pytest.fixture
def sup() -> RiskSupervisor:
    supervisor = RiskSupervisor(RiskConfig(), "full", store=MemoryStateStore())
    supervisor.mark(ts(0, 1), 100_000.0)  # day 0 opens at 100k
    return supervisor


def test_exactly_minus_2_5_percent_fires(sup: RiskSupervisor) -> None:
    update = sup.mark(ts(0, 2), 97_500.0)

    assert update.flatten and sup.halted and sup.trading_state == "HALTED"
    assert [type(e) for e in update.events] == [KillSwitchTriggered, TradingStateChanged]
    assert update.alerts[0].message == KILL_SWITCH_MESSAGE and update.alerts[0].severity == "critical"
    assert sup.state.activations == 1 and sup.state.kill_days == (day_str(0),)


def test_exact_threshold_fires_despite_float_rounding() -> None:
    sod, nav = 98_765.4321, 98_765.4321 - 98_765.4321 * 0.025
    assert nav / sod - 1.0 > -0.025  # rounding puts it a hair above the threshold

    assert kill_threshold_crossed(nav / sod - 1.0, 2.5)
    supervisor = RiskSupervisor(RiskConfig(), "full")
    supervisor.mark(ts(0, 1), sod)
    assert supervisor.mark(ts(0, 2), nav).flatten


def test_minus_2_49_percent_does_not_fire(sup: RiskSupervisor) -> None:
    update = sup.mark(ts(0, 2), 97_510.0)

    assert not update.flatten and not sup.halted
    assert update.events == () and update.alerts == ()
    assert update.day_pnl == pytest.approx(-0.0249)
    assert sup.state.day_pnl_low == pytest.approx(-0.0249)


def test_fires_once_per_day_and_keeps_reporting_day_pnl(sup: RiskSupervisor) -> None:
    first = sup.mark(ts(0, 2), 97_000.0)
    later = [sup.mark(ts(0, h), nav) for h, nav in ((3, 96_000.0), (4, 99_000.0), (5, 95_000.0))]

    assert first.flatten
    assert [u.flatten for u in later] == [False, False, False]
    assert [u.events for u in later] == [(), (), ()]
    assert later[-1].day_pnl == pytest.approx(-0.05)
    assert sup.state.day_pnl_low == pytest.approx(-0.05)
    assert sup.state.activations == 1


def test_new_day_unhalts_and_can_fire_again(sup: RiskSupervisor) -> None:
    sup.mark(ts(0, 2), 97_000.0)

    opening = sup.mark(ts(1, 1), 97_000.0)
    second = sup.mark(ts(1, 2), 94_000.0)

    assert opening.trading_state == "ACTIVE" and opening.new_day == day_str(1)
    assert second.flatten and sup.state.kill_days == (day_str(0), day_str(1))
    assert sup.state.activations == 2


def test_sod_nav_is_previous_days_last_mark(sup: RiskSupervisor) -> None:
    sup.mark(ts(0, 12), 101_000.0)
    sup.mark(ts(0, 24), 102_000.0)  # 24:00 closes day 0

    update = sup.mark(ts(1, 1), 103_020.0)

    assert update.new_day == day_str(1)
    assert sup.state.sod_nav == 102_000.0
    assert update.day_pnl == pytest.approx(0.01)


def test_first_ever_mark_sets_sod_nav() -> None:
    supervisor = RiskSupervisor(RiskConfig(), "full")

    update = supervisor.mark(ts(3, 5), 55_000.0)

    assert supervisor.state.sod_nav == 55_000.0 and update.day_pnl == 0.0
    assert update.new_day == day_str(3) and update.sip_entry is None


def test_sip_entry_on_profit_days_only(sup: RiskSupervisor) -> None:
    sup.mark(ts(0, 24), 102_000.0)  # day 0: +2,000
    profit_close = sup.mark(ts(1, 1), 101_000.0)
    sup.mark(ts(1, 24), 100_500.0)  # day 1: -1,500
    loss_close = sup.mark(ts(2, 1), 100_500.0)

    assert profit_close.sip_entry is not None
    assert (profit_close.sip_entry.day, profit_close.sip_entry.day_pnl) == (day_str(0), 2_000.0)
    assert profit_close.sip_entry.amount == pytest.approx(20.0)  # 1 % of the day's profit
    assert loss_close.sip_entry is None
    assert len(sup.state.sip_ledger) == 1 and sup.state.sip_balance == pytest.approx(20.0)


def test_sip_share_comes_from_config() -> None:
    supervisor = RiskSupervisor(RiskConfig(sip=SipConfig(profit_share_pct=10.0)), "full")
    supervisor.mark(ts(0, 1), 100_000.0)
    supervisor.mark(ts(0, 2), 100_500.0)

    assert supervisor.mark(ts(1, 1), 100_500.0).sip_entry.amount == pytest.approx(50.0)


def test_day_after_kill_is_demo(sup: RiskSupervisor) -> None:
    sup.mark(ts(0, 2), 97_000.0)
    assert sup.mode == "full"  # the kill day keeps its mode

    opening = sup.mark(ts(1, 1), 97_000.0)
    assert opening.mode == "demo" and sup.mode == "demo"
    assert [e.current for e in opening.events if isinstance(e, ModeChanged)] == ["demo"]
    assert sup.demo_days == (day_str(1),) and sup.quarantine_days == ()

    back = sup.mark(ts(2, 1), 97_000.0)
    assert back.mode == "full" and sup.mode == "full"


def test_override_after_kill_keeps_next_day_configured(sup: RiskSupervisor) -> None:
    sup.mark(ts(0, 2), 97_000.0)

    update = sup.record_override(ts(0, 3), by="alice", reason="data glitch")
    opening = sup.mark(ts(1, 1), 97_000.0)

    assert update.events == () and sup.state.overrides[-1].applied
    assert (sup.state.overrides[-1].by, sup.state.overrides[-1].day) == ("alice", day_str(0))
    assert opening.mode is None and sup.mode == "full" and sup.demo_days == ()


def test_override_during_post_kill_demo_day_lifts_it_at_once(sup: RiskSupervisor) -> None:
    sup.mark(ts(0, 2), 97_000.0)
    sup.mark(ts(1, 1), 97_000.0)

    update = sup.record_override(ts(1, 2), by="alice", reason="checked")

    assert update.mode == "full" and sup.mode == "full"
    assert sup.demo_days == (day_str(1),)  # the day started in demo


def test_override_without_a_kill_changes_nothing_but_is_recorded(sup: RiskSupervisor) -> None:
    update = sup.record_override(ts(0, 2), by="bob", reason="just in case")
    sup.mark(ts(0, 3), 97_000.0)  # a later kill is not covered
    sup.mark(ts(1, 1), 97_000.0)

    assert update.events == () and not sup.state.overrides[0].applied
    assert sup.mode == "demo"


@pytest.mark.parametrize(("stay_demo", "expected_mode"), [(True, "demo"), (False, "full")])
def test_sanity_judge_after_kill(sup: RiskSupervisor, stay_demo: bool, expected_mode: str) -> None:
    sup.mark(ts(0, 2), 97_000.0)

    update = sup.record_sanity_judge(ts(0, 3), judge(stay_demo), call_id="c1")
    sup.mark(ts(1, 1), 97_000.0)

    assert update.events == ()  # no quarantine to clear; the kill day stays halted
    assert sup.state.approvals[-1].cleared is not stay_demo
    assert sup.mode == expected_mode


def test_redelivered_sanity_judge_is_ignored(sup: RiskSupervisor) -> None:
    sup.mark(ts(0, 2), 97_000.0)
    sup.record_sanity_judge(ts(0, 3), judge(True), call_id="c1")

    again = sup.record_sanity_judge(ts(0, 4), judge(False), call_id="c1")

    assert again.events == () and len(sup.state.approvals) == 1
    sup.mark(ts(1, 1), 97_000.0)
    assert sup.mode == "demo"


def test_flatten_pending_until_recorded(sup: RiskSupervisor) -> None:
    sup.record_flatten(ts(0, 1), "manual")  # an earlier flatten the same day does not count
    sup.mark(ts(0, 2), 97_000.0)
    assert sup.flatten_pending

    sup.record_flatten(ts(0, 2), "kill_switch")

    assert not sup.flatten_pending
    assert sup.state.last_flatten.reason == "kill_switch"


def test_stale_mark_from_an_earlier_day_is_ignored(sup: RiskSupervisor) -> None:
    sup.mark(ts(1, 1), 100_000.0)
    before = sup.state

    update = sup.mark(ts(0, 5), 50_000.0)

    assert update.events == () and not update.flatten and sup.state == before


@pytest.mark.parametrize("nav", [float("nan"), float("inf"), 0.0, -1.0, "abc"])
def test_bad_nav_is_rejected(sup: RiskSupervisor, nav: object) -> None:
    with pytest.raises(RiskInputError):
        sup.mark(ts(0, 2), nav)  # type: ignore[arg-type]


def test_state_is_persisted_once_per_change_and_reloaded() -> None:
    store = MemoryStateStore()
    supervisor = RiskSupervisor(RiskConfig(), "full", store=store)
    supervisor.mark(ts(0, 1), 100_000.0)
    puts = store.puts

    supervisor.mark(ts(0, 2), 100_000.0)  # same NAV: nothing changed, nothing written
    assert store.puts == puts
    supervisor.mark(ts(0, 3), 97_000.0)

    assert decode_risk_state(store.get("risk")) == supervisor.state
    assert RiskSupervisor(RiskConfig(), "full", store=store.reopen()).state == supervisor.state


def test_restart_with_another_configured_mode_keeps_the_calendar() -> None:
    store = MemoryStateStore()
    first = RiskSupervisor(RiskConfig(), "full", store=store)
    first.mark(ts(0, 1), 100_000.0)
    first.mark(ts(0, 2), 97_000.0)

    second = RiskSupervisor(RiskConfig(), "micro", store=store.reopen())
    second.mark(ts(1, 1), 97_000.0)

    assert second.state.configured_mode == "micro" and second.mode == "demo"
    assert second.mark(ts(2, 1), 97_000.0).mode == "micro"


class FlakyStore(MemoryStateStore):
    def __init__(self) -> None:
        super().__init__()
        self.down = False

    def put(self, key: str, value: bytes) -> None:
        if self.down:
            raise StateStoreUnavailableError("connection refused")
        super().put(key, value)


def test_store_failure_never_suppresses_the_kill_switch() -> None:
    store = FlakyStore()
    supervisor = RiskSupervisor(RiskConfig(), "full", store=store)
    supervisor.mark(ts(0, 1), 100_000.0)
    store.down = True

    update = supervisor.mark(ts(0, 2), 97_000.0)

    assert update.flatten and not update.persisted
    assert [a.code for a in update.alerts] == ["kill_switch_armed", "state_store_unavailable"]
    store.down = False
    recovered = supervisor.mark(ts(0, 3), 96_000.0)
    assert recovered.persisted and [a.code for a in recovered.alerts] == ["state_store_recovered"]
    assert decode_risk_state(store.get("risk")) == supervisor.state


def test_corrupt_document_fails_with_the_key_named() -> None:
    store = MemoryStateStore()
    store.put("risk", b'{"schema_version": 1, "day": 5}')

    with pytest.raises(StateStoreError, match="'risk'.*day"):
        RiskSupervisor(RiskConfig(), "full", store=store)


def test_unknown_schema_version_is_rejected() -> None:
    raw = encode_risk_state(msgspec.structs.replace(decode_risk_state(b"{}"), schema_version=99))

    with pytest.raises(StateStoreError, match="schema_version 99"):
        decode_risk_state(raw, key="risk")


def test_smaller_quarantine_config() -> None:
    cfg = RiskConfig(
        kill_switch=KillSwitchConfig(quarantine_kill_days=2, quarantine_window_days=3, quarantine_demo_days=2)
    )
    supervisor = RiskSupervisor(cfg, "full")
    for day in range(5):
        supervisor.mark(ts(day, 1), 100_000.0)
        if day in (0, 2):
            supervisor.mark(ts(day, 2), 97_000.0)

    assert supervisor.quarantine_days == (day_str(3), day_str(4))
    assert supervisor.demo_days == (day_str(1), day_str(3), day_str(4))


def test_halt_on_an_unmarkable_nav_fires_once_persists_and_never_raises():
    store = MemoryStateStore()
    sup = RiskSupervisor(RiskConfig(), "full", store=store)
    sup.mark(ts(0, 10), 100_000.0)

    update = sup.halt(ts(0, 11), "NAV nan at or below zero or not finite")
    again = sup.halt(ts(0, 12), "NAV 0.0 at or below zero or not finite")

    assert update.flatten and not again.flatten
    assert sup.halted and sup.flatten_pending
    kills = [e for e in update.events if isinstance(e, KillSwitchTriggered)]
    assert len(kills) == 1 and "not finite" in kills[0].reason
    restored = RiskSupervisor(RiskConfig(), "full", store=store)
    assert restored.halted and restored.state.kill_days == (day_str(0),)
    assert restored.state.last_nav == 100_000.0  # the last good mark stays


def test_halt_before_any_mark_starts_the_day_and_halts():
    sup = RiskSupervisor(RiskConfig(), "full")

    update = sup.halt(ts(0, 1), "no account yet")

    assert update.flatten and sup.halted and sup.state.day == day_str(0)
