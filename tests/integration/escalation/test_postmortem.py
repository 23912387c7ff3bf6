"""Nightly post-mortem: facts from the trade log, risk events and escalations; the local model's analysis
through the real ollama client; the deterministic template when no model answers."""

from __future__ import annotations

from llm_server import Json, Status

from adapters.llm import OllamaReasoner
from engine.escalation.postmortem import day_facts, write_postmortem
from engine.escalation.processor import EscalationOutcome
from schemas.control import PolicyUpdate
from schemas.risk import KillSwitchTriggered
from schemas.tradelog import TradeLogEntry

DAY = "2023-03-04"
TS = 1_677_931_200_000_000_000  # 2023-03-04T12:00:00Z


def trade(symbol, pnl, exit_day=DAY):
    return TradeLogEntry(
        timestamp=f"{DAY}T01:00:00Z",
        mode="demo",
        symbol=symbol,
        direction="BUY",
        size_pre=0.5,
        size_post_risk=0.4,
        entry_price=22000.0,
        exit_price=21500.0,
        reason_tags=("x",),
        policy_version="baseline-1",
        exit_timestamp=f"{exit_day}T02:00:00Z",
        realized_pnl=pnl,
    )


TRADES = [trade("BTCUSDT", -2100.0), trade("BTCUSDT", 300.0), trade("BTCUSDT", 50.0, exit_day="2023-03-05")]
EVENTS = [
    KillSwitchTriggered(
        ts_event=TS,
        reason="Daily P&L -2.6% below threshold",
        daily_pnl=-0.026,
        threshold=-0.025,
        trading_day=DAY,
    )
]
OUTCOMES = [
    EscalationOutcome(
        request_id=f"kill_switch-{TS}",
        call_type="SANITY_JUDGE",
        ts_event=TS,
        status="proposed",
        source="gpt5",
        update=PolicyUpdate(
            version="pv-abc",
            ts_event=TS,
            source="gpt5",
            deltas={},
            reason="r",
            overrides={"stay_demo": False, "max_position_pct": 0.01},
        ),
    )
]


def test_facts_template_and_gpt5_deltas_without_a_model():
    facts = day_facts(DAY, TRADES, EVENTS, OUTCOMES)
    assert (facts["trades_closed"], facts["wins"], facts["losses"]) == (2, 1, 1)
    assert facts["realized_pnl"] == -1800.0
    text, author = write_postmortem(facts, None)
    assert author == "template"
    assert text.startswith("# Post-mortem 2023-03-04 (UTC)")
    assert "realized P&L -1800.00" in text and "kill switch: Daily P&L -2.6% below threshold" in text
    assert "## GPT-5 deltas" in text and "stay_demo = false" in text and "max_position_pct = 0.01" in text
    assert write_postmortem(day_facts("2023-03-05", TRADES, EVENTS, OUTCOMES), None)[0].count("GPT-5") == 0


def test_local_model_analysis_and_fallback_to_template(llm_server):
    llm = OllamaReasoner(model="qwen2.5:14b-instruct", host=llm_server.ollama_url, timeout_s=5)
    facts = day_facts(DAY, TRADES, EVENTS, OUTCOMES)
    llm_server.script(
        ollama=[Json({"root_cause": "a trend day against the position", "recommendations": ["cut size"]})]
    )
    text, author = write_postmortem(facts, llm)
    assert author == "ollama" and "> a trend day against the position" in text and "1. cut size" in text
    assert llm_server.ollama.requests[0]["format"]["required"] == ["root_cause", "recommendations"]
    for broken in (Status(500), Json("not json")):
        llm_server.script(ollama=[broken])
        text, author = write_postmortem(facts, llm)
        assert author == "template" and "realized P&L -1800.00" in text and "facts only" in text
