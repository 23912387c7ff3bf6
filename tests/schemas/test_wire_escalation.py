"""The LLM-facing bodies match the seed's "Exact JSON Fields for GPT-5 Calls" field for field."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from wire_strategies import strategy_for

from schemas import codec
from schemas.errors import SchemaDecodeError, SchemaUsageError
from schemas.escalation import (
    REQUEST_TYPES,
    RESPONSE_TYPES,
    EscalationRequest,
    RegimeAuditorRequest,
    RegimeAuditorResponse,
    RewardEngineerRequest,
    RewardEngineerResponse,
    SanityJudgeRequest,
    SanityJudgeResponse,
    decode_llm_request,
    decode_llm_response,
    encode_llm_json,
    response_json_schema,
)
from schemas.topics import message_key

# Copied verbatim from seeds/001 (runbook), "Exact JSON Fields for GPT-5 Calls".
REGIME_AUDITOR_REQUEST = b"""{
  "timestamp": "2025-10-05T10:00:00Z",
  "portfolio_state": {
    "net_liquidity": 100000.0,
    "daily_pnl": -0.025,
    "volatility_zscore": 2.3,
    "correlation_breakdown": 0.35
  },
  "sector_dispersion": {
    "technology": 0.15,
    "financials": 0.12,
    "energy": 0.18
  },
  "bucket_usage": {
    "penny": 0.015,
    "fno": 0.03,
    "core": 0.85
  }
}"""

REGIME_AUDITOR_RESPONSE = b"""{
  "regime_label": "volatile",
  "blend_weights_delta": {"short": 0.1, "mid": -0.1, "rl": 0.0},
  "bucket_caps_delta": {"penny": -0.01, "fno": -0.02, "core": 0.0},
  "do_not_trade_list": ["SYMBOL1", "SYMBOL2"]
}"""

REWARD_ENGINEER_REQUEST = b"""{
  "timestamp": "2025-10-05T10:00:00Z",
  "pnl_decomposition": {
    "core": 0.02,
    "penny": -0.01,
    "fno": 0.005,
    "sip": 0.001
  },
  "turnover_stats": {
    "daily_turnover": 0.05,
    "weekly_turnover": 0.15,
    "monthly_turnover": 0.35
  },
  "feature_performance": {
    "rsi": 0.65,
    "macd": 0.58,
    "volume": 0.72,
    "news": 0.45
  }
}"""

REWARD_ENGINEER_RESPONSE = b"""{
  "reward_coefficients": {"returns": 0.6, "turnover": 0.2, "drawdown": 0.2},
  "turnover_penalties": {"penalty_rate": 0.01},
  "disabled_features": ["feature1", "feature2", "feature3"]
}"""

SANITY_JUDGE_REQUEST = b"""{
  "timestamp": "2025-10-05T10:00:00Z",
  "kill_switch_reason": "Daily P&L -2.5% below threshold",
  "recent_trades": [
    {"symbol": "TD.TO", "action": "BUY", "size": 0.01, "pnl": -0.005}
  ],
  "portfolio_state": {
    "net_liquidity": 100000.0,
    "daily_pnl": -0.03
  }
}"""

SANITY_JUDGE_RESPONSE = b"""{
  "stay_demo": true,
  "live_changes": {
    "max_position_pct": 0.015,
    "stop_multipliers": {"atr": 1.8, "trailing": 1.2}
  }
}"""

REQUESTS = {
    "REGIME_AUDITOR": (REGIME_AUDITOR_REQUEST, RegimeAuditorRequest),
    "REWARD_ENGINEER": (REWARD_ENGINEER_REQUEST, RewardEngineerRequest),
    "SANITY_JUDGE": (SANITY_JUDGE_REQUEST, SanityJudgeRequest),
}
RESPONSES = {
    "REGIME_AUDITOR": (REGIME_AUDITOR_RESPONSE, RegimeAuditorResponse),
    "REWARD_ENGINEER": (REWARD_ENGINEER_RESPONSE, RewardEngineerResponse),
    "SANITY_JUDGE": (SANITY_JUDGE_RESPONSE, SanityJudgeResponse),
}
CALL_TYPES = sorted(REQUESTS)


def _key_tree(value: object) -> object:
    if isinstance(value, dict):
        return {key: _key_tree(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_key_tree(item) for item in value]
    return None


@pytest.mark.parametrize("call_type", CALL_TYPES)
def test_seed_request_decodes_and_re_encodes_to_the_seed(call_type):
    raw, body_type = REQUESTS[call_type]

    body = decode_llm_request(call_type, raw)
    again = json.loads(encode_llm_json(body))

    assert type(body) is body_type
    assert _key_tree(again) == _key_tree(json.loads(raw))
    assert list(again) == list(json.loads(raw))
    assert again == json.loads(raw)


@pytest.mark.parametrize("call_type", CALL_TYPES)
def test_seed_response_decodes_and_re_encodes_to_the_seed(call_type):
    raw, body_type = RESPONSES[call_type]

    body = decode_llm_response(call_type, raw)
    again = json.loads(encode_llm_json(body))

    assert type(body) is body_type
    assert list(again) == list(json.loads(raw))
    assert again == json.loads(raw)


def test_seed_values_land_in_the_right_fields():
    regime = decode_llm_response("REGIME_AUDITOR", REGIME_AUDITOR_RESPONSE)
    judge = decode_llm_response("SANITY_JUDGE", SANITY_JUDGE_RESPONSE)
    request = decode_llm_request("SANITY_JUDGE", SANITY_JUDGE_REQUEST)

    assert regime.blend_weights_delta.mid == -0.1
    assert regime.do_not_trade_list == ("SYMBOL1", "SYMBOL2")
    assert judge.stay_demo is True and judge.live_changes.stop_multipliers.atr == 1.8
    assert request.recent_trades[0].symbol == "TD.TO"


def test_type_maps_cover_every_call_type():
    assert sorted(REQUEST_TYPES) == sorted(RESPONSE_TYPES) == CALL_TYPES


def _mutated(raw: bytes, path: tuple[str, ...], value: object) -> bytes:
    document = json.loads(raw)
    target = document
    for name in path[:-1]:
        target = target[name]
    if value is ...:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return json.dumps(document).encode()


@pytest.mark.parametrize(
    ("call_type", "path", "value", "fragment"),
    [
        ("REGIME_AUDITOR", ("confidence",), 0.9, "confidence"),
        ("REGIME_AUDITOR", ("blend_weights_delta", "ppo"), 0.1, "$.blend_weights_delta"),
        ("REGIME_AUDITOR", ("bucket_caps_delta", "fno"), ..., "fno"),
        ("REGIME_AUDITOR", ("do_not_trade_list",), "SYMBOL1", "$.do_not_trade_list"),
        (
            "REWARD_ENGINEER",
            ("turnover_penalties", "penalty_rate"),
            "1%",
            "$.turnover_penalties.penalty_rate",
        ),
        ("REWARD_ENGINEER", ("disabled_features",), ..., "disabled_features"),
        ("SANITY_JUDGE", ("stay_demo",), "yes", "$.stay_demo"),
        ("SANITY_JUDGE", ("live_changes", "stop_multipliers", "chandelier"), 3.0, "stop_multipliers"),
        ("SANITY_JUDGE", ("live_changes", "max_position_pct"), ..., "max_position_pct"),
    ],
)
def test_bad_llm_answers_are_rejected_with_the_field_path(call_type, path, value, fragment):
    raw = _mutated(RESPONSES[call_type][0], path, value)

    with pytest.raises(SchemaDecodeError) as caught:
        decode_llm_response(call_type, raw)

    assert fragment in str(caught.value)
    assert call_type in str(caught.value)
    assert caught.value.raw == raw


@pytest.mark.parametrize("raw", [b"", b"Sure! Here is the JSON:", b"```json\n{}\n```", b"[]", b"{"])
def test_non_json_answers_are_rejected(raw):
    with pytest.raises(SchemaDecodeError):
        decode_llm_response("SANITY_JUDGE", raw)


@settings(max_examples=100)
@given(raw=st.binary(max_size=200), call_type=st.sampled_from(CALL_TYPES))
def test_random_answers_raise_only_schema_decode_error(raw, call_type):
    with contextlib.suppress(SchemaDecodeError):
        decode_llm_response(call_type, raw)


def test_unknown_call_type_is_a_usage_error():
    with pytest.raises(SchemaUsageError, match="RISK_ORACLE"):
        decode_llm_response("RISK_ORACLE", SANITY_JUDGE_RESPONSE)
    with pytest.raises(SchemaUsageError):
        response_json_schema("RISK_ORACLE")
    with pytest.raises(SchemaUsageError):
        encode_llm_json({"stay_demo": True})  # type: ignore[arg-type]


@pytest.mark.parametrize("call_type", CALL_TYPES)
def test_envelope_carries_the_body_and_its_call_type(call_type):
    body = decode_llm_request(call_type, REQUESTS[call_type][0])
    request = EscalationRequest(ts_event=1, request_id="esc-1", body=body, trigger="regime")

    decoded = codec.decode("escalations", codec.encode("escalations", request))

    assert decoded == request
    assert decoded.call_type == call_type
    assert message_key("escalations", decoded) == call_type
    assert json.loads(encode_llm_json(decoded.body)) == json.loads(REQUESTS[call_type][0])


@settings(max_examples=60)
@given(data=st.data(), call_type=st.sampled_from(CALL_TYPES))
def test_llm_bodies_round_trip_through_llm_json(data, call_type):
    request = data.draw(strategy_for(REQUEST_TYPES[call_type]))
    response = data.draw(strategy_for(RESPONSE_TYPES[call_type]))

    assert decode_llm_request(call_type, encode_llm_json(request)) == request
    assert decode_llm_response(call_type, encode_llm_json(response)) == response
    assert "call_type" not in json.loads(encode_llm_json(request))


@pytest.mark.parametrize("call_type", CALL_TYPES)
def test_response_json_schema_forbids_extra_fields(call_type):
    schema = response_json_schema(call_type)
    name = RESPONSE_TYPES[call_type].__name__

    assert schema["$defs"][name]["additionalProperties"] is False
    assert schema["$defs"][name]["required"] == list(json.loads(RESPONSES[call_type][0]))
