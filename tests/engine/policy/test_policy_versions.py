"""Policy history: commit, idempotent redelivery, git-style diff, rollback restoring parameters exactly."""

from __future__ import annotations

import msgspec
import pytest

from engine.config import AureusConfig
from engine.policy.answers import propose_update
from engine.policy.bounds import PolicyLimits
from engine.policy.errors import PolicyBoundsError, PolicyError
from engine.policy.versions import PolicyStore, apply_and_commit, diff_policies, rollback_update
from engine.state import MemoryStateStore
from schemas.escalation import decode_llm_response

CFG = AureusConfig()

LIMITS = PolicyLimits.from_config(CFG.risk, CFG.escalation, frozenset({"BTCUSDT"}))
TS = 1_678_000_000_000_000_000
ANSWER = decode_llm_response(
    "REGIME_AUDITOR",
    b'{"regime_label":"volatile","blend_weights_delta":{"short":0.1,"mid":-0.1,"rl":0.0},'
    b'"bucket_caps_delta":{"penny":-0.01,"fno":-0.02,"core":0.0},"do_not_trade_list":[]}',
)


def test_commit_diff_and_rollback_restore_the_old_parameters_exactly():
    store = PolicyStore(MemoryStateStore(), CFG.policy)
    assert store.current() == CFG.policy and store.history() == ()
    update, _ = propose_update(
        "REGIME_AUDITOR", ANSWER, store.current(), LIMITS, source="gpt5", request_id="r1", ts_event=TS
    )
    v2, new = apply_and_commit(store, update, LIMITS)
    assert new and store.history() == ("baseline-1", v2.version) and store.current() == v2
    assert apply_and_commit(store, update, LIMITS) == (v2, False)  # redelivered: nothing changes

    diff = diff_policies(store.record("baseline-1").policy, v2)
    assert diff.startswith(f"diff --git a/policy@baseline-1 b/policy@{v2.version}\n")
    assert "-blend_weights.short = 0.4" in diff and "+bucket_caps.penny = 0.01" in diff
    assert "+stop_multipliers" not in diff and "-stop_multipliers" not in diff  # unchanged: context only

    back = rollback_update(v2, "baseline-1", ts_event=TS + 1, by="test")
    v3, new = apply_and_commit(store, back, LIMITS)
    assert new and v3.version == back.version != "baseline-1"
    assert msgspec.structs.replace(v3, version="baseline-1") == CFG.policy
    assert diff_policies(CFG.policy, v3) == ""
    assert store.history()[-1] == v3.version


def test_unknown_version_and_broken_update_write_nothing():
    store = PolicyStore(MemoryStateStore(), CFG.policy)
    with pytest.raises(PolicyError, match="unknown policy version"):
        store.record("pv-nope")
    bad = rollback_update(CFG.policy, "pv-nope", ts_event=TS, by="test")
    with pytest.raises(PolicyError):
        apply_and_commit(store, bad, LIMITS)
    assert store.history() == ()
    with pytest.raises(PolicyBoundsError):
        propose_update(
            "REGIME_AUDITOR",
            msgspec.structs.replace(ANSWER, do_not_trade_list=("NOPE",)),
            store.current(),
            LIMITS,
            source="gpt5",
            request_id="r2",
            ts_event=TS,
        )
