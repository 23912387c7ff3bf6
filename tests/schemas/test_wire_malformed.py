"""Malformed input raises SchemaDecodeError, carrying topic and raw bytes, and nothing else."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wire_strategies import strategy_for

from schemas import codec
from schemas.alerts import Alert
from schemas.errors import AureusError, SchemaDecodeError, SchemaUsageError
from schemas.market import Bar
from schemas.risk import ClampHit
from schemas.signals import EnsembleDecision
from schemas.topics import TOPIC_TYPES, dlq_topic, value_type

TOPICS = sorted(TOPIC_TYPES) + [dlq_topic("orders")]
QUICK = settings(max_examples=80, suppress_health_check=[HealthCheck.too_slow])

DECISION = EnsembleDecision(
    instrument="TD.TO",
    ts_event=1_759_658_400_000_000_000,
    p_short=0.8,
    p_mid=0.7,
    ppo_hint=0.5,
    base=0.75,
    penalties={"vol_spike": 0.15},
    score=0.6,
    action="HOLD",
    size=0.0,
    reason_tags=("lstm_bullish",),
    policy_version="p1",
    weights={"short": 0.4, "mid": 0.3, "rl": 0.3},
    rl_available=True,
)


def _decode_error(topic: str, raw: bytes) -> SchemaDecodeError:
    with pytest.raises(SchemaDecodeError) as caught:
        codec.decode(topic, raw)
    assert caught.value.topic == topic
    assert caught.value.raw == raw
    assert isinstance(caught.value, AureusError)
    return caught.value


def _decision_json(**changes: object) -> bytes:
    document = json.loads(codec.encode("signals", DECISION))
    for name, value in changes.items():
        if value is ...:
            del document[name]
        else:
            document[name] = value
    return json.dumps(document).encode()


@QUICK
@pytest.mark.parametrize("topic", TOPICS)
@given(raw=st.binary(max_size=256))
def test_random_bytes_raise_only_schema_decode_error(topic, raw):
    for decode in (codec.decode, codec.decode_msgpack):
        try:
            decode(topic, raw)
        except SchemaDecodeError as e:
            assert e.topic == topic and e.raw == raw


@QUICK
@pytest.mark.parametrize("topic", TOPICS)
@given(data=st.data())
def test_truncated_messages_raise_schema_decode_error(topic, data):
    raw = codec.encode(topic, data.draw(strategy_for(value_type(topic))))
    cut = data.draw(st.integers(min_value=0, max_value=len(raw) - 1))

    _decode_error(topic, raw[:cut])


@QUICK
@given(raw=st.binary(max_size=128))
def test_random_msgpack_carries_topic_and_raw(raw):
    try:
        codec.decode_msgpack("risk", raw)
    except SchemaDecodeError as e:
        assert e.topic == "risk" and e.raw == raw


@pytest.mark.parametrize("raw", [b"", b"null", b"[]", b"1", b'"bar"', b"{", b"\xff\xfe", b"{}"])
def test_non_objects_and_broken_json_are_rejected(raw):
    _decode_error("signals", raw)


def test_unknown_tag_names_the_tag_field():
    error = _decode_error("signals", _decision_json(type="ensemble_verdict"))

    assert "ensemble_verdict" in str(error) and "$.type" in str(error)


def test_tag_of_another_topic_is_rejected():
    _decode_error(
        "signals", codec.encode("alerts", Alert(severity="info", code="c", message="m", ts_event=0))
    )


def test_missing_field_names_it():
    error = _decode_error("signals", _decision_json(score=...))

    assert "score" in str(error)


def test_wrong_type_names_the_path():
    error = _decode_error("signals", _decision_json(penalties={"vol_spike": "high"}))

    assert "$.penalties" in str(error)


def test_value_outside_a_literal_is_rejected():
    error = _decode_error("signals", _decision_json(action="SHORT"))

    assert "$.action" in str(error)


def test_negative_timestamp_is_rejected():
    error = _decode_error("signals", _decision_json(ts_event=-1))

    assert "$.ts_event" in str(error)


@pytest.mark.parametrize("version", [0, 2, 99, -1])
def test_unknown_schema_version_is_rejected_clearly(version):
    error = _decode_error("signals", _decision_json(schema_version=version))

    assert f"unsupported schema_version {version}" in str(error)
    assert "EnsembleDecision" in str(error) and "$.schema_version" in str(error)


def test_unknown_schema_version_in_msgpack_is_rejected():
    bar = Bar(
        schema_version=7, instrument="X", interval_s=60, ts_event=0, open=1, high=1, low=1, close=1, volume=0
    )

    with pytest.raises(SchemaDecodeError, match="unsupported schema_version 7"):
        codec.decode_msgpack("md.bars", codec.encode_msgpack("md.bars", bar))


def test_schema_version_of_wrong_type_is_rejected():
    _decode_error("signals", _decision_json(schema_version="1"))


def test_decode_error_chains_the_msgspec_error():
    error = _decode_error("signals", b"{")

    assert error.__cause__ is not None


def test_unknown_topic_is_a_usage_error():
    with pytest.raises(SchemaUsageError):
        codec.decode("md.candles", b"{}")
    with pytest.raises(SchemaUsageError):
        codec.encode("dlq.dlq.orders", DECISION)


def test_encoding_an_object_on_the_wrong_topic_is_a_usage_error():
    clamp = ClampHit(
        instrument="*", ts_event=0, clamp="bucket_cap", reason="r", requested=0.1, allowed=0.05, limit=0.05
    )

    with pytest.raises(SchemaUsageError, match="ClampHit"):
        codec.encode("signals", clamp)
    with pytest.raises(SchemaUsageError):
        codec.encode_msgpack("orders", {"type": "order_intent"})


def test_str_input_is_accepted_and_recorded_as_bytes():
    with pytest.raises(SchemaDecodeError) as caught:
        codec.decode("signals", "{")  # type: ignore[arg-type]

    assert caught.value.raw == b"{"
