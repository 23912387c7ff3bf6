"""The node's policy controller: new versions in force, rejections leave the policy alone, restarts resume
the last version, and only a GPT-5 SANITY_JUDGE update reaches the risk supervisor."""

from __future__ import annotations

import msgspec

from engine.config import AureusConfig, RiskConfig
from engine.policy.bounds import PolicyLimits
from engine.policy.controller import PolicyController
from engine.policy.versions import PolicyStore
from engine.risk.supervisor import RiskSupervisor
from engine.state import MemoryStateStore
from schemas.control import PolicyUpdate

CFG = AureusConfig()
LIMITS = PolicyLimits.from_config(CFG.risk, CFG.escalation, frozenset({"BTCUSDT"}))
H = 3_600 * 1_000_000_000
D0 = 20_000 * 24 * H


def sanity_update(source: str, stay_demo: bool | None) -> PolicyUpdate:
    overrides = {"max_position_pct": 0.01, "stop_multipliers.atr": 2.0}
    if stay_demo is not None:
        overrides["stay_demo"] = stay_demo
    return PolicyUpdate(
        version=f"pv-{source}{stay_demo}",
        ts_event=D0 + 3 * H,
        source=source,
        deltas={},
        reason="judge",
        overrides=overrides,
        previous_version="baseline-1",
        request_id=f"kill_switch-{D0}",
        call_type="SANITY_JUDGE",
    )


def test_gpt5_judge_clears_post_kill_demo_and_local_cannot():
    for source, stay_demo, next_mode in (
        ("gpt5", False, "full"),
        ("ollama", False, "demo"),
        ("ollama", None, "demo"),
    ):
        store = MemoryStateStore()
        sup = RiskSupervisor(RiskConfig(), "full", store=store)
        sup.mark(D0 + H, 100_000.0)
        sup.mark(D0 + 2 * H, 97_000.0)  # kill switch: tomorrow runs in demo
        controller = PolicyController(PolicyStore(store, CFG.policy), LIMITS)
        result = controller.on_update(sanity_update(source, stay_demo))
        if result.sanity_judge is not None:
            sup.record_sanity_judge(D0 + 3 * H, result.sanity_judge, call_id=f"kill_switch-{D0}")
        sup.mark(D0 + 25 * H, 97_000.0)
        assert sup.mode == next_mode, (source, stay_demo)
        if source == "ollama" and stay_demo is False:
            assert not result.applied and result.alerts[0].code == "policy_update_rejected"
            assert controller.policy == CFG.policy
        else:
            assert result.applied and controller.policy.max_position_pct == 0.01
        if source == "gpt5":
            assert sup.state.approvals[-1].cleared and sup.state.approvals[-1].call_id == f"kill_switch-{D0}"


def test_restart_resumes_the_last_version_and_redelivery_is_ignored():
    store = MemoryStateStore()
    first = PolicyController(PolicyStore(store, CFG.policy), LIMITS)
    update = PolicyUpdate(
        version="pv-1", ts_event=D0, source="operator", deltas={"blend_weights.rl": -0.1}, reason="r"
    )
    assert first.on_update(update).applied
    restarted = PolicyController(PolicyStore(store, CFG.policy), LIMITS)
    assert restarted.policy == first.policy and restarted.policy.version == "pv-1"
    again = restarted.on_update(update)
    assert not again.applied and again.alerts == () and restarted.policy == first.policy
    assert msgspec.structs.asdict(restarted.policy.blend_weights) != msgspec.structs.asdict(
        CFG.policy.blend_weights
    )
