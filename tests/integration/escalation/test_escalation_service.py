"""The escalation processor end to end: real openai/ollama clients, the scripted loopback server, Redis."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from escalation_helpers import (
    DAY_NS,
    REDIS_URL,
    REGIME_ANSWER,
    REGIME_BODY,
    SANITY_ANSWER,
    SANITY_BODY,
    request,
    service,
)
from llm_server import Hang, Json, Refusal, Status

from adapters.llm import RedisCallBudget
from engine.policy.versions import apply_and_commit

REPO_ROOT = Path(__file__).resolve().parents[3]


def codes(outcome) -> list[str]:
    return [a.code for a in outcome.alerts]


def test_five_escalations_in_a_day_reach_gpt5_three_times(llm_server, redis_prefix):
    llm_server.script(openai=[Json(REGIME_ANSWER)], ollama=[Json(REGIME_ANSWER)])
    svc = service(llm_server, redis_prefix)
    outcomes = [svc.handle(request("REGIME_AUDITOR", REGIME_BODY, f"r{i}"), now_ns=DAY_NS) for i in range(5)]
    assert llm_server.openai.hits == 3 and llm_server.ollama.hits == 2
    assert [o.source for o in outcomes] == ["gpt5"] * 3 + ["ollama"] * 2
    assert all(o.status == "proposed" for o in outcomes)
    messages = [a.message for o in outcomes for a in o.alerts if a.code == "escalation_gpt5"]
    assert messages == [f"Escalation to GPT-5: Regime Auditor ({n}/3)" for n in (1, 2, 3)]
    assert "escalation_budget_spent" in codes(outcomes[3])
    assert svc.budget.used("2025-10-09") == 3
    # the next UTC day has a fresh budget
    svc.handle(request("REGIME_AUDITOR", REGIME_BODY, "r6"), now_ns=DAY_NS + 86_400 * 10**9)
    assert llm_server.openai.hits == 4


@pytest.mark.parametrize(
    "failure", [Status(429), Status(500), Hang(1.5), Refusal("no"), Json("{not json"), Json({"regime": 1})]
)
def test_gpt5_failure_falls_back_to_the_local_reasoner(llm_server, redis_prefix, failure):
    llm_server.script(openai=[failure], ollama=[Json(REGIME_ANSWER)])
    svc = service(llm_server, redis_prefix, timeout_s=0.7)
    first = svc.handle(request("REGIME_AUDITOR", REGIME_BODY, "a"), now_ns=DAY_NS)
    second = svc.handle(request("REGIME_AUDITOR", REGIME_BODY, "b"), now_ns=DAY_NS)
    assert first.status == second.status == "proposed" and first.source == "ollama"
    assert llm_server.openai.hits == 2 and llm_server.ollama.hits == 2
    assert len(first.attempts) == 1 and first.attempts[0].error.startswith("gpt5:")
    unavailable = [a for o in (first, second) for a in o.alerts if a.code == "gpt5_unavailable"]
    assert [a.message for a in unavailable] == ["GPT-5 unavailable—using local reasoner"]  # once per outage
    assert len(svc.processor.failures.attempts) == 2  # every attempt logged


def test_both_failing_changes_nothing_and_enters_rl_only_mode(llm_server, redis_prefix):
    llm_server.script(openai=[Status(503)], ollama=[Status(500)])
    svc = service(llm_server, redis_prefix)
    outcome = svc.handle(request("REGIME_AUDITOR", REGIME_BODY, "x"), now_ns=DAY_NS)
    assert outcome.status == "no_change" and len(outcome.attempts) == 2
    assert "Local reasoner offline—using RL-only mode" in [a.message for a in outcome.alerts]
    assert outcome.update is not None and outcome.update.overrides == {"rl_only": True}
    assert outcome.update.deltas == {}
    policy, _ = apply_and_commit(svc.policies, outcome.update, svc.limits)
    assert policy.rl_only and policy.blend_weights == svc.config.policy.blend_weights
    # the local reasoner answering again ends RL-only mode with its update
    llm_server.script(ollama=[Json(REGIME_ANSWER)])
    back = svc.handle(request("REGIME_AUDITOR", REGIME_BODY, "y"), now_ns=DAY_NS)
    assert back.status == "proposed" and back.update.overrides["rl_only"] is False


@pytest.mark.parametrize(
    "answer",
    [
        {**REGIME_ANSWER, "blend_weights_delta": {"short": 0.3, "mid": -0.3, "rl": 0.0}},
        {**REGIME_ANSWER, "bucket_caps_delta": {"penny": 0.5, "fno": 0.0, "core": 0.0}},
        {**REGIME_ANSWER, "do_not_trade_list": ["NOT_AN_INSTRUMENT"]},
    ],
)
def test_out_of_bounds_answer_is_rejected_whole(llm_server, redis_prefix, answer):
    llm_server.script(openai=[Json(answer)], ollama=[Json(REGIME_ANSWER)])
    svc = service(llm_server, redis_prefix)
    outcome = svc.handle(request("REGIME_AUDITOR", REGIME_BODY, "oob"), now_ns=DAY_NS)
    assert outcome.status == "rejected" and outcome.update is None and outcome.source == "gpt5"
    assert "escalation_rejected" in codes(outcome) and outcome.rejection
    assert llm_server.ollama.hits == 0
    assert svc.policies.current() == svc.config.policy and svc.policies.history() == ()


def test_only_gpt5_may_clear_quarantine(llm_server, redis_prefix):
    llm_server.script(openai=[Json(SANITY_ANSWER)], ollama=[Json(SANITY_ANSWER)])
    svc = service(llm_server, redis_prefix)
    by_gpt5 = svc.handle(request("SANITY_JUDGE", SANITY_BODY, "s1"), now_ns=DAY_NS)
    assert by_gpt5.update.overrides["stay_demo"] is False and by_gpt5.source == "gpt5"
    svc.budget = None
    llm_server.script(openai=[Status(500)])
    by_local = svc.handle(request("SANITY_JUDGE", SANITY_BODY, "s2"), now_ns=DAY_NS)
    assert by_local.source == "ollama" and "stay_demo" not in by_local.update.overrides


RACER = """
import json, pathlib, sys, time
from escalation_helpers import DAY_NS, REGIME_BODY, request, service
class Server:
    openai_url, ollama_url = sys.argv[1], sys.argv[2]
svc = service(Server, sys.argv[3])
flags = pathlib.Path(sys.argv[5])
(flags / f"ready-{sys.argv[4]}").touch()
while not (flags / "go").exists():
    time.sleep(0.005)
ids = [f"{sys.argv[4]}-{i}" for i in range(4)]
out = [svc.handle(request("REGIME_AUDITOR", REGIME_BODY, i), now_ns=DAY_NS).source for i in ids]
print(json.dumps(out))
"""


def test_two_worker_processes_racing_make_at_most_three_gpt5_calls(llm_server, redis_prefix, tmp_path):
    llm_server.script(openai=[Json(REGIME_ANSWER)], ollama=[Json(REGIME_ANSWER)])
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), str(Path(__file__).parent), str(REPO_ROOT / "tests")]),
    }
    args = [llm_server.openai_url, llm_server.ollama_url, redis_prefix]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", RACER, *args, name, str(tmp_path)],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for name in ("w1", "w2")
    ]
    deadline = time.monotonic() + 60
    while not all((tmp_path / f"ready-{n}").exists() for n in ("w1", "w2")) and time.monotonic() < deadline:
        time.sleep(0.01)
    (tmp_path / "go").touch()  # both start their escalations at once
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    sources = [json.loads(out.strip().splitlines()[-1]) for out in outputs]
    assert all(p.returncode == 0 for p in procs)
    flat = [s for out in sources for s in out]
    assert flat.count("gpt5") == 3 and flat.count("ollama") == 5
    assert llm_server.openai.hits == 3 and llm_server.ollama.hits == 5
    assert RedisCallBudget(REDIS_URL, redis_prefix, 3).used("2025-10-09") == 3


def test_a_redelivered_request_replays_its_outcome_without_a_model_call(llm_server, redis_prefix):
    from adapters.llm.requests_log import RedisRequestLog
    from streams.escalation.service import handle_once

    llm_server.script(openai=[Json(REGIME_ANSWER)])
    svc = service(llm_server, redis_prefix)
    log = RedisRequestLog(REDIS_URL, redis_prefix)
    req = request("REGIME_AUDITOR", REGIME_BODY, "dup-1")
    first, replayed = handle_once(svc, log, req, now_ns=DAY_NS)
    assert not replayed and first.status == "proposed"
    again, replayed = handle_once(svc, log, req, now_ns=DAY_NS)
    assert replayed and again == first
    assert llm_server.openai.hits == 1 and svc.budget.used("2025-10-09") == 1
    assert log.claim("other-in-flight") and handle_once(
        svc, log, request("REGIME_AUDITOR", REGIME_BODY, "other-in-flight"), now_ns=DAY_NS
    ) == (None, False)


def test_worker_step_dead_letters_garbage_and_publishes_update_then_alerts(llm_server, redis_prefix):
    from adapters.llm.requests_log import RedisRequestLog
    from schemas.codec import decode, encode
    from streams.escalation.step import escalation_step

    llm_server.script(openai=[Json(REGIME_ANSWER)])
    svc = service(llm_server, redis_prefix)
    log = RedisRequestLog(REDIS_URL, redis_prefix)
    garbage = escalation_step(svc, log, b"REGIME_AUDITOR", b'{"not": "a request"}', ts_received=5)
    assert [o.topic for o in garbage] == ["dlq.escalations"]
    letter = decode("dlq.escalations", garbage[0].value)
    assert (
        letter.key == "REGIME_AUDITOR"
        and letter.topic == "escalations"
        and letter.raw == b'{"not": "a request"}'
    )

    raw = encode("escalations", request("REGIME_AUDITOR", REGIME_BODY, "step-1"))
    out = escalation_step(svc, log, b"REGIME_AUDITOR", raw)
    assert [o.topic for o in out] == ["control", "alerts"] and out[0].key == b"policy"
    update = decode("control", out[0].value)
    assert update.request_id == "step-1" and update.source == "gpt5"
    again = escalation_step(svc, log, b"REGIME_AUDITOR", raw)  # redelivered after a rebalance
    assert [o.topic for o in again] == ["control"] and again[0].value == out[0].value
    assert llm_server.openai.hits == 1


def test_redis_down_means_no_gpt5_call_and_the_local_reasoner_still_answers(llm_server):
    from adapters.llm.requests_log import RedisRequestLog
    from schemas.codec import decode, encode
    from streams.escalation.step import escalation_step

    llm_server.script(openai=[Json(REGIME_ANSWER)], ollama=[Json(REGIME_ANSWER)])
    down = "redis://127.0.0.1:1/0"
    svc = service(llm_server, "unused:")
    svc.processor._budget = RedisCallBudget(down, "x:", 3)
    out = escalation_step(
        svc,
        RedisRequestLog(down, "x:"),
        b"k",
        encode("escalations", request("REGIME_AUDITOR", REGIME_BODY, "r")),
    )
    assert [o.topic for o in out][0] == "control" and decode("control", out[0].value).source == "ollama"
    assert llm_server.openai.hits == 0 and llm_server.ollama.hits == 1
    assert "escalation_budget_unavailable" in [decode("alerts", o.value).code for o in out[1:]]
