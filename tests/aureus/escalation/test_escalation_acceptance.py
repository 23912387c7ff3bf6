"""Acceptance on real data: the March 2023 BTCUSDT replay with the kill switch made reachable produces the
SANITY_JUDGE requests from its own state, and a scripted GPT-5 ``stay_demo: false`` answer, applied as the
node applies it, ends the quarantine."""

from __future__ import annotations

import base64
import csv
import json
from pathlib import Path

import msgspec
import pytest
from llm_server import Json
from typer.testing import CliRunner

from aureus.cli import _mount_subcommands, app
from schemas.escalation import EscalationRequest, encode_llm_json

_mount_subcommands()
runner = CliRunner()
REPO_ROOT = Path(__file__).resolve().parents[3]
BTCUSDT = (
    REPO_ROOT.parent / "shared" / "data" / "crypto_1m_2023-03_binanceus" / "BTCUSDT_1m_20230301_20230321.csv"
)
# The cost-aware strategy (fee gate, size per_name_pct x 2|score - 0.5|) never loses 2.5 % in a day on
# this data: shorting spot on, a 90 % per-name cap and a 0.2 % daily-loss kill switch make it reachable
# (README "Make the kill switch reachable"): kills on 03-03, 03-05 and 03-08, quarantine from 03-09.
KILL_REACHABLE = (
    "--set",
    "risk.caps.per_name_pct.core=90",
    "--set",
    "shorting.spot=true",
    "--set",
    "risk.kill_switch.daily_loss_pct=0.2",
)
STAY_DEMO_FALSE = {
    "stay_demo": False,
    "live_changes": {"max_position_pct": 0.015, "stop_multipliers": {"atr": 1.8, "trailing": 1.2}},
}


def invoke(*args: str, env: dict | None = None):
    result = runner.invoke(app, list(args), env=env, catch_exceptions=False)
    return result


def json_blocks(text: str) -> list[dict]:
    """Every top-level JSON object printed (the CLI pretty-prints one per block)."""
    decoder, out, i = json.JSONDecoder(), [], 0
    while (start := text.find("{\n", i)) >= 0:
        obj, i = decoder.raw_decode(text, start)
        out.append(obj)
    return out


@pytest.mark.slow
def test_btcusdt_kill_switch_requests_and_gpt5_clears_the_quarantine(tmp_path, llm_server, redis_prefix):
    rows = BTCUSDT.read_text().splitlines(keepends=True)
    source = tmp_path / "first8.csv"
    source.write_text(rows[0] + "".join(rows[1 : 1 + 8 * 1440]))  # stop inside the quarantine
    rec, run, state = tmp_path / "REC", tmp_path / "RUN", tmp_path / "STATE"
    invoke("data", "import", "binance-klines", str(source), "--symbol", "BTCUSDT", "--out", str(rec))
    invoke(
        "replay",
        "--data",
        str(rec),
        "--out",
        str(run),
        "--no-progress",
        "--state",
        str(state),
        *KILL_REACHABLE,
    )

    decoder = msgspec.json.Decoder(EscalationRequest)
    requests = [decoder.decode(line) for line in (run / "escalations.jsonl").read_bytes().splitlines()]
    judges = [r for r in requests if r.call_type == "SANITY_JUDGE"]
    events = [json.loads(line) for line in (run / "risk_events.jsonl").read_text().splitlines()]
    kills = [e for e in events if e["type"] == "kill_switch_triggered"]
    assert len(kills) == 3 and len(judges) == 3
    trades = [json.loads(line) for line in (run / "trades.jsonl").read_text().splitlines()]
    navs = {r["ts"]: float(r["nav"]) for r in csv.DictReader((run / "equity.csv").open())}
    for judge, kill in zip(judges, kills, strict=True):
        body = judge.body
        assert judge.trigger == "kill_switch" and judge.ts_event == kill["ts_event"]
        assert body.kill_switch_reason == kill["reason"]
        assert body.portfolio_state.daily_pnl == kill["daily_pnl"]
        assert body.portfolio_state.net_liquidity == pytest.approx(navs[body.timestamp], abs=1e-6)
        closed = [t for t in trades if t["exit_timestamp"] and t["exit_timestamp"] <= body.timestamp]
        assert 0 < len(body.recent_trades) <= 10
        expected = [
            (t["symbol"], t["direction"], t["size_post_risk"]) for t in closed[-len(body.recent_trades) :]
        ]
        assert [(t.symbol, t.action, t.size) for t in body.recent_trades] == expected

    common = ["--state", str(state), *KILL_REACHABLE, "--set", f"store.key_prefix={redis_prefix}"]
    before = json.loads(invoke("risk", "status", "--json", *common).output)
    assert before["quarantine_remaining"] > 0

    request_file = tmp_path / "REQUEST.json"
    request_file.write_bytes(
        msgspec.json.encode(
            {"call_type": "SANITY_JUDGE", **msgspec.json.decode(encode_llm_json(judges[-1].body))}
        )
    )
    llm_server.script(openai=[Json(STAY_DEMO_FALSE)])
    env = {
        "OPENAI_BASE_URL": llm_server.openai_url,
        "OPENAI_API_KEY": "test",
        "OLLAMA_HOST": llm_server.ollama_url,
        "AUREUS_REDIS_URL": "redis://127.0.0.1:6379/0",
    }
    ledger = run / "audit.jsonl"
    ledger_before = ledger.read_bytes().splitlines()
    result = invoke("escalate", str(request_file), "--apply", "--ledger", str(ledger), *common, env=env)
    assert result.exit_code == 0, result.output
    outcome, applied = json_blocks(result.output)
    assert outcome["source"] == "gpt5" and outcome["update"]["overrides"]["stay_demo"] is False
    sent = json.loads(llm_server.openai.requests[0]["messages"][1]["content"])["request"]
    assert sent["kill_switch_reason"] == kills[-1]["reason"]
    assert applied["applied"] and applied["policy_version"] == outcome["update"]["version"]
    assert [e["type"] for e in applied["risk_events"]] == ["quarantine_changed"]
    assert applied["risk_events"][0]["active"] is False

    # the decision is in the run's audit ledger, hash-chained after the replay's records
    assert ledger.read_bytes().splitlines()[: len(ledger_before)] == ledger_before
    added = [json.loads(line) for line in ledger.read_bytes().splitlines()[len(ledger_before) :]]
    assert [r["kind"] for r in added] == ["control", "risk"]
    control, event = (json.loads(base64.b64decode(r["payload"])) for r in added)
    assert control["version"] == outcome["update"]["version"] and control["overrides"]["stay_demo"] is False
    assert event["type"] == "quarantine_changed" and event["active"] is False
    verified = invoke("audit", "verify", str(ledger))
    assert verified.exit_code == 0, verified.output

    after = json.loads(invoke("risk", "status", "--json", *common).output)
    assert after["quarantine_remaining"] == 0
    assert after["approvals"][-1]["cleared"] and after["approvals"][-1]["call_id"] == outcome["request_id"]

    # the node resumes on the next two days with the new policy version on every decision and trade
    source2 = tmp_path / "next2.csv"
    source2.write_text(rows[0] + "".join(rows[1 + 8 * 1440 : 1 + 10 * 1440]))
    rec2, run2 = tmp_path / "REC2", tmp_path / "RUN2"
    invoke("data", "import", "binance-klines", str(source2), "--symbol", "BTCUSDT", "--out", str(rec2))
    invoke(
        "replay",
        "--data",
        str(rec2),
        "--out",
        str(run2),
        "--no-progress",
        "--state",
        str(state),
        *KILL_REACHABLE,
    )
    version = applied["policy_version"]
    decisions = [json.loads(line) for line in (run2 / "decisions.jsonl").read_text().splitlines()]
    resumed_trades = [json.loads(line) for line in (run2 / "trades.jsonl").read_text().splitlines()]
    assert decisions and {d["policy_version"] for d in decisions} == {version}
    assert resumed_trades and {t["policy_version"] for t in resumed_trades} == {version}
    # uninterrupted, the quarantine would start on 2023-03-09; cleared before it, no resumed day serves it
    served = json.loads((run2 / "report.json").read_text())["quarantine_days"]
    assert served == []

    # the nightly post-mortem of the first kill day, facts only (no model reachable here)
    written = invoke(
        "postmortem", "--run", str(run), "--day", "2023-03-03", "--no-model", *KILL_REACHABLE
    ).output
    text = (run / "postmortems" / "postmortem-2023-03-03.md").read_text()
    assert "(template)" in written and text.startswith("# Post-mortem 2023-03-03 (UTC)")
    assert f"kill switch: {kills[0]['reason']}" in text and "kill_switch -> SANITY_JUDGE x1" in text
