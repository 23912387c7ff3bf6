"""``aureus escalate`` / ``status`` / ``policy`` through the real CLI, the scripted server and Redis."""

from __future__ import annotations

import json

import msgspec
from llm_server import Json, Status
from typer.testing import CliRunner

from adapters.state import EmbeddedFileStore
from aureus.cli import _mount_subcommands, app
from engine.config import AureusConfig
from engine.policy.bounds import PolicyLimits
from engine.policy.versions import PolicyStore, apply_and_commit
from schemas.control import PolicyUpdate

_mount_subcommands()
runner = CliRunner()

REQUEST = {
    "call_type": "REGIME_AUDITOR",
    "timestamp": "2025-10-05T10:00:00Z",
    "portfolio_state": {
        "net_liquidity": 100000.0,
        "daily_pnl": -0.025,
        "volatility_zscore": 2.3,
        "correlation_breakdown": 0.35,
    },
    "sector_dispersion": {"technology": 0.15},
    "bucket_usage": {"penny": 0.015, "fno": 0.03, "core": 0.85},
}
ANSWER = {
    "regime_label": "volatile",
    "blend_weights_delta": {"short": 0.1, "mid": -0.1, "rl": 0.0},
    "bucket_caps_delta": {"penny": -0.01, "fno": -0.02, "core": 0.0},
    "do_not_trade_list": [],
}


def invoke(env, *args):
    return runner.invoke(app, list(args), env=env, catch_exceptions=False)


def setup(tmp_path, llm_server, redis_prefix):
    (tmp_path / "req.json").write_text(json.dumps(REQUEST))
    env = {
        "OPENAI_BASE_URL": llm_server.openai_url,
        "OPENAI_API_KEY": "test",
        "OLLAMA_HOST": llm_server.ollama_url,
        "AUREUS_REDIS_URL": "redis://127.0.0.1:6379/0",
    }
    common = ["--state", str(tmp_path / "state"), "--set", f"store.key_prefix={redis_prefix}"]
    return env, common


def test_escalate_prints_the_update_and_status_counts_the_call(tmp_path, llm_server, redis_prefix):
    env, common = setup(tmp_path, llm_server, redis_prefix)
    llm_server.script(openai=[Json(ANSWER)])
    result = invoke(env, "escalate", str(tmp_path / "req.json"), *common)
    assert result.exit_code == 0, result.output
    outcome = json.loads(result.output[result.output.index("{\n") :])
    assert outcome["status"] == "proposed" and outcome["source"] == "gpt5"
    update = outcome["update"]
    assert update["deltas"]["blend_weights.short"] == 0.1 and update["previous_version"] == "baseline-1"
    assert llm_server.openai.requests[0]["model"] == "gpt-5"

    status = invoke(env, "status", "--json", *common)
    panel = json.loads(status.output[status.output.index("{\n") :])
    assert panel["gpt5_calls_today"] == 1 and panel["gpt5_calls_limit"] == 3
    assert panel["policy_version"] == "baseline-1" and panel["mode"] == "demo"
    assert panel["blend_weights"] == {"short": 0.4, "mid": 0.3, "rl": 0.3}
    assert panel["quarantine_days_left"] == 0 and all(panel["feature_toggles"].values())


def test_escalate_with_both_reasoners_down_prints_no_change(tmp_path, llm_server, redis_prefix):
    env, common = setup(tmp_path, llm_server, redis_prefix)
    llm_server.script(openai=[Status(500)], ollama=[Status(500)])
    result = invoke(env, "escalate", str(tmp_path / "req.json"), *common)
    assert result.exit_code == 1
    outcome = json.loads(result.output[result.output.index("{\n") :])
    assert outcome["status"] == "no_change" and len(outcome["attempts"]) == 2


def test_policy_diff_and_rollback_through_the_cli(tmp_path, llm_server, redis_prefix):
    env, common = setup(tmp_path, llm_server, redis_prefix)
    cfg = AureusConfig()
    store = PolicyStore(EmbeddedFileStore(tmp_path / "state"), cfg.policy)
    update = PolicyUpdate(
        version="pv-000000000001",
        ts_event=1,
        source="operator",
        deltas={"bucket_caps.penny": -0.01},
        reason="t",
        overrides={"stop_multipliers.atr": 2.2},
    )
    v2, _ = apply_and_commit(store, update, PolicyLimits.from_config(cfg.risk, cfg.escalation))

    diff = invoke(env, "policy", "diff", "baseline-1", v2.version, *common).output
    assert diff.splitlines()[:3] == [
        f"diff --git a/policy@baseline-1 b/policy@{v2.version}",
        "--- a/policy@baseline-1",
        f"+++ b/policy@{v2.version}",
    ]
    assert "-bucket_caps.penny = 0.02" in diff and "+bucket_caps.penny = 0.01" in diff
    assert "-stop_multipliers.atr = 1.8" in diff and "+stop_multipliers.atr = 2.2" in diff

    rolled = invoke(env, "policy", "rollback", "baseline-1", "--by", "test", "--local", *common)
    assert rolled.exit_code == 0, rolled.output
    new_version = json.loads(rolled.output)["version"]
    current = PolicyStore(EmbeddedFileStore(tmp_path / "state"), cfg.policy).current()
    assert current.version == new_version
    assert msgspec.structs.replace(current, version="baseline-1") == cfg.policy
    assert invoke(env, "policy", "diff", "baseline-1", new_version, *common).output == ""
    history = invoke(env, "policy", "history", *common).output.splitlines()
    assert [line.split()[0] for line in history] == ["baseline-1", v2.version, new_version]
