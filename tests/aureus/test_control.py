"""Risk commands on ``control`` reach the strategy as Nautilus custom data; the node is their one writer."""

from pathlib import Path

import msgspec
import pytest
from nautilus_trader.model.data import CustomData
from strategy_harness import Harness

from engine.risk.state import decode_risk_state
from schemas import codec
from schemas.control import RiskCommand
from schemas.dlq import DeadLetter
from schemas.escalation import decode_llm_response
from strategies.control_data import CONTROL_CLIENT_ID, CONTROL_DATA_TYPE, ControlData

SANITY_ANSWER = (
    b'{"stay_demo": false, "live_changes": '
    b'{"max_position_pct": 1.0, "stop_multipliers": {"atr": 2.0, "trailing": 1.5}}}'
)


@pytest.fixture(scope="module")
def one_day(tmp_path_factory) -> Path:
    from adapters.synthetic import synthesize

    path = tmp_path_factory.mktemp("synth") / "rec"
    synthesize(7, path, days=2, n_instruments=2)
    return path


def _command(kind: str, command_id: str, **extra) -> RiskCommand:
    return RiskCommand(command_id=command_id, kind=kind, by="ops", reason="test", ts_event=1, **extra)


def test_force_demo_in_the_stream_switches_the_node_to_demo_once(one_day, tmp_path):
    harness = Harness(one_day, tmp_path / "state", "mode=full", control=True, max_bars=600)
    command = codec.encode("control", _command("force_demo", "cmd-1")).decode()
    ts = harness.bars[300].ts_event
    controls = [
        CustomData(CONTROL_DATA_TYPE, ControlData(payload=command, ts_event=ts, ts_init=ts)),
        CustomData(CONTROL_DATA_TYPE, ControlData(payload=command, ts_event=ts + 1, ts_init=ts + 1)),
    ]
    harness.engine.add_data(controls, client_id=CONTROL_CLIENT_ID)
    harness.run()

    strategy = harness.strategy
    assert strategy.risk.mode == "demo"
    assert strategy.journal.counters["control_force_demo"] == 1  # the redelivery changed nothing
    rows = harness.sink.get("equity")
    assert {r.mode for r in rows if r.ts < ts} == {"full"} and {r.mode for r in rows if r.ts > ts} == {"demo"}
    stored = decode_risk_state(harness.store.get("risk"))
    assert stored.commands == ("cmd-1",) and stored.forced_demo_day and stored.version > 1


def test_bad_control_messages_go_to_the_dead_letter_channel_with_an_alert(one_day, tmp_path):
    harness = Harness(one_day, tmp_path / "state", control=True, max_bars=100)
    harness.run()
    strategy = harness.strategy

    assert strategy.apply_control('{"type": "risk_command", "kind": "nope"}') is False
    assert strategy.apply_control(_command("approve", "cmd-2")) is False  # approve needs its answer
    assert strategy.apply_control(b"\xff not json") is False

    letters = harness.sink.get("dlq.control")
    assert len(letters) == 3 and all(isinstance(letter, DeadLetter) for letter in letters)
    assert "answer" in letters[1].error and letters[2].raw == b"\xff not json"
    assert [a.code for a in harness.sink.get("alerts")].count("control_rejected") == 3
    assert strategy.journal.counters["control_rejected"] == 3


def test_an_approval_with_the_sanity_judge_answer_is_recorded(one_day, tmp_path):
    harness = Harness(one_day, tmp_path / "state", control=True, max_bars=100)
    harness.run()
    answer = decode_llm_response("SANITY_JUDGE", SANITY_ANSWER)

    applied = harness.strategy.apply_control(_command("approve", "cmd-3", answer=answer, call_id="call-9"))

    assert applied
    approvals = decode_risk_state(harness.store.get("risk")).approvals
    assert [(a.call_id, a.stay_demo) for a in approvals] == [("call-9", False)]
    assert msgspec.json.decode(codec.encode("control", _command("override", "x")))["type"] == "risk_command"


def test_a_policy_update_on_control_becomes_the_version_in_force(one_day, tmp_path):
    from schemas.control import PolicyUpdate

    harness = Harness(one_day, tmp_path / "state", control=True, max_bars=100)
    harness.run()
    strategy = harness.strategy
    base = strategy.cfg.policy.version
    update = PolicyUpdate(
        version="ops-2",
        ts_event=1,
        source="operator",
        deltas={},
        reason="cap positions",
        overrides={"max_position_pct": 0.01},
        previous_version=base,
    )
    too_big = PolicyUpdate(
        version="ops-3",
        ts_event=2,
        source="operator",
        deltas={},
        reason="out of bounds",
        overrides={"max_position_pct": 5.0},
        previous_version="ops-2",
    )

    assert strategy.apply_control(codec.encode("control", update).decode())
    assert not strategy.apply_control(too_big)

    assert strategy.cfg.policy.version == "ops-2" and strategy.cfg.policy.max_position_pct == 0.01
    codes = [a.code for a in harness.sink.get("alerts")]
    assert "policy_updated" in codes and "policy_update_rejected" in codes


def test_a_position_cap_on_control_caps_every_later_entry(one_day, tmp_path):
    from schemas.control import PolicyUpdate

    # spot shorting on: the synthetic day needs entries both sides of the update for the cap to show
    harness = Harness(one_day, tmp_path / "state", "shorting.spot=true", control=True)
    ts = harness.bars[len(harness.bars) // 4].ts_event
    update = PolicyUpdate(
        version="ops-cap",
        ts_event=ts,
        source="operator",
        deltas={},
        reason="cap positions",
        overrides={"max_position_pct": 0.002},
        previous_version=harness.cfg.policy.version,
    )
    payload = codec.encode("control", update).decode()
    harness.engine.add_data(
        [CustomData(CONTROL_DATA_TYPE, ControlData(payload=payload, ts_event=ts, ts_init=ts))],
        client_id=CONTROL_CLIENT_ID,
    )
    harness.run()

    intents = [o for o in harness.sink.get("orders") if o.client_order_id.startswith("E")]
    before = [o for o in intents if o.ts_event < ts]
    after = [o for o in intents if o.ts_event > ts]
    assert before and after
    assert max(o.size_post_risk for o in before) > 0.002
    assert all(o.size_post_risk <= 0.002 + 1e-12 for o in after)
    assert all("policy_max_position" in o.reason_tags for o in after if o.size_pre > 0.002)
    decisions = [d for d in harness.sink.get("signals") if d.ts_event > ts]
    assert {d.policy_version for d in decisions} == {"ops-cap"}
