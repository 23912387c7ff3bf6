"""Topic registry, dead-letter topics and message keys follow DESIGN.md's Topics table."""

from __future__ import annotations

import pytest

from schemas import codec
from schemas.alerts import Alert
from schemas.audit import append_record
from schemas.control import PolicyUpdate
from schemas.dlq import DeadLetter, dead_letter_from
from schemas.errors import SchemaDecodeError, SchemaUsageError
from schemas.market import NewsRaw
from schemas.risk import KillSwitchTriggered
from schemas.topics import TOPIC_TYPES, dlq_topic, is_dlq_topic, message_key, value_type


def test_registry_has_exactly_the_design_topics():
    assert sorted(TOPIC_TYPES) == sorted(
        [
            "md.bars",
            "md.quotes",
            "md.trades",
            "md.options_oi",
            "news.raw",
            "news.scored",
            "signals",
            "orders",
            "fills",
            "risk",
            "escalations",
            "control",
            "alerts",
            "audit",
        ]
    )


def test_registry_is_read_only():
    with pytest.raises(TypeError):
        TOPIC_TYPES["extra"] = object  # type: ignore[index]


def test_dlq_topics():
    assert dlq_topic("orders") == "dlq.orders"
    assert is_dlq_topic("dlq.md.bars") and not is_dlq_topic("md.bars") and not is_dlq_topic("dlq.nope")
    assert value_type("dlq.signals") is DeadLetter
    with pytest.raises(SchemaUsageError):
        dlq_topic("dlq.orders")
    with pytest.raises(SchemaUsageError):
        value_type("nope")


def test_message_keys():
    kill = KillSwitchTriggered(
        ts_event=0, reason="r", daily_pnl=-0.03, threshold=-0.025, trading_day="2025-10-05"
    )
    news = NewsRaw(source="reuters", ts_event=0, headline="h")
    alert = Alert(severity="critical", code="kill_switch_armed", message="m", ts_event=0)
    update = PolicyUpdate(
        version="p2", ts_event=0, source="gpt5", deltas={"blend_weights.short": 0.1}, reason="r"
    )
    record = append_record(None, ts_event=0, kind="orders", payload=b"{}")

    assert message_key("risk", kill) == "*"
    assert message_key("news.raw", news) == "reuters"
    assert message_key("alerts", alert) == "critical"
    assert message_key("control", update) == "policy"
    assert message_key("audit", record) == "ledger"


def test_a_decode_failure_becomes_a_dead_letter_on_the_dlq_topic():
    raw = b'{"type":"bar","instrument":"X"}'
    with pytest.raises(SchemaDecodeError) as caught:
        codec.decode("md.bars", raw)

    letter = dead_letter_from(caught.value, key=b"X\xff", ts_event=7, partition=0, offset=42, consumer="node")
    decoded = codec.decode(dlq_topic("md.bars"), codec.encode(dlq_topic("md.bars"), letter))

    assert decoded == letter
    assert letter.topic == "md.bars" and letter.raw == raw and letter.key == "X\\xff"
    assert "md.bars" in letter.error and "interval_s" in letter.error
    assert message_key("dlq.md.bars", letter) == "X\\xff"


def test_dead_letter_needs_a_topic():
    with pytest.raises(SchemaUsageError):
        dead_letter_from(SchemaDecodeError("bad"), key=None, ts_event=0)


def test_control_overrides_keep_their_json_types():
    update = PolicyUpdate(
        version="p2",
        ts_event=1,
        source="gpt5",
        deltas={"bucket_caps.penny": -0.01},
        reason="volatile",
        overrides={"stay_demo": True, "do_not_trade_list": ("A", "B"), "max_position_pct": 0.015},
        request_id="esc-1",
        call_type="SANITY_JUDGE",
    )

    assert codec.decode("control", codec.encode("control", update)) == update
