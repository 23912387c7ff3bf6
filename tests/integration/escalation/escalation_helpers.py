"""Shared builders for the escalation integration tests: seed requests, answers and a wired service."""

from __future__ import annotations

import msgspec

from adapters.llm import OllamaReasoner, OpenAIReasoner, RedisCallBudget
from engine.config import AureusConfig
from engine.state import MemoryStateStore
from schemas.escalation import EscalationRequest, decode_llm_request
from streams.escalation.service import EscalationService

REDIS_URL = "redis://127.0.0.1:6379/0"
DAY_NS = 1_760_000_000_000_000_000  # 2025-10-09 UTC, a fixed "now" for the budget day
TS = 1_759_658_400_000_000_000  # 2025-10-05T10:00:00Z

REGIME_BODY = {
    "timestamp": "2025-10-05T10:00:00Z",
    "portfolio_state": {
        "net_liquidity": 100000.0,
        "daily_pnl": -0.025,
        "volatility_zscore": 2.3,
        "correlation_breakdown": 0.35,
    },
    "sector_dispersion": {"technology": 0.15, "financials": 0.12, "energy": 0.18},
    "bucket_usage": {"penny": 0.015, "fno": 0.03, "core": 0.85},
}
SANITY_BODY = {
    "timestamp": "2025-10-05T10:00:00Z",
    "kill_switch_reason": "Daily P&L -2.5% below threshold",
    "recent_trades": [{"symbol": "BTCUSDT", "action": "BUY", "size": 0.01, "pnl": -0.005}],
    "portfolio_state": {"net_liquidity": 100000.0, "daily_pnl": -0.03},
}
REGIME_ANSWER = {
    "regime_label": "volatile",
    "blend_weights_delta": {"short": 0.1, "mid": -0.1, "rl": 0.0},
    "bucket_caps_delta": {"penny": -0.01, "fno": -0.02, "core": 0.0},
    "do_not_trade_list": ["ETHUSDT"],
}
SANITY_ANSWER = {
    "stay_demo": False,
    "live_changes": {"max_position_pct": 0.01, "stop_multipliers": {"atr": 2.0, "trailing": 1.5}},
}


def request(
    call_type: str, body: dict, request_id: str, untrusted: tuple[str, ...] = ()
) -> EscalationRequest:
    parsed = decode_llm_request(call_type, msgspec.json.encode(body))
    return EscalationRequest(
        ts_event=TS, request_id=request_id, body=parsed, trigger="test", untrusted_text=untrusted
    )


def service(
    server, prefix: str, *, config: AureusConfig | None = None, timeout_s: float = 5.0
) -> EscalationService:
    cfg = config or AureusConfig()
    return EscalationService(
        cfg,
        store=MemoryStateStore(),
        gpt5=OpenAIReasoner(model="gpt-5", api_key="k", base_url=server.openai_url, timeout_s=timeout_s),
        local=OllamaReasoner(model="qwen2.5:14b-instruct", host=server.ollama_url, timeout_s=timeout_s),
        budget=RedisCallBudget(REDIS_URL, prefix, cfg.escalation.gpt5_calls_per_day),
        known_instruments=frozenset({"BTCUSDT", "ETHUSDT"}),
    )
