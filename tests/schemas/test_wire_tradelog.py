"""The immutable trade log line keeps the seed's keys, in the seed's order, and is deterministic."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from wire_strategies import strategy_for

from schemas.errors import SchemaDecodeError
from schemas.tradelog import (
    TradeLogEntry,
    decode_trade_log_line,
    encode_trade_log_line,
    iso_utc,
    parse_iso_utc,
)

# Copied verbatim from seeds/001 (runbook), "Logging Requirements / Immutable Trade Log".
SEED_ENTRY = b"""{
  "timestamp": "2025-10-05T10:00:00Z",
  "mode": "demo",
  "symbol": "TD.TO",
  "direction": "BUY",
  "size_pre": 0.015,
  "size_post_risk": 0.012,
  "entry_price": 100.50,
  "exit_price": null,
  "reason_tags": ["lstm_bullish", "news_positive", "vol_normal"]
}"""

SEED_KEYS = list(json.loads(SEED_ENTRY))
TS_2025_10_05_10H = 1_759_658_400_000_000_000


def test_seed_example_encodes_with_seed_keys_first_in_seed_order():
    entry = decode_trade_log_line(SEED_ENTRY)

    document = json.loads(encode_trade_log_line(entry))

    assert list(document)[: len(SEED_KEYS)] == SEED_KEYS
    assert {key: document[key] for key in SEED_KEYS} == json.loads(SEED_ENTRY)
    assert list(document)[len(SEED_KEYS) :] == [
        "policy_version",
        "trade_id",
        "exit_timestamp",
        "realized_pnl",
        "quantity",
        "fees",
        "fill_count",
        "schema_version",
    ]


def test_every_key_is_written_even_at_its_default():
    entry = TradeLogEntry(
        timestamp=iso_utc(TS_2025_10_05_10H),
        mode="demo",
        symbol="TD.TO",
        direction="BUY",
        size_pre=0.015,
        size_post_risk=0.012,
        entry_price=100.5,
        reason_tags=("lstm_bullish", "news_positive", "vol_normal"),
    )

    line = encode_trade_log_line(entry)

    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert line.startswith(
        b'{"timestamp":"2025-10-05T10:00:00Z","mode":"demo","symbol":"TD.TO","direction":"BUY",'
        b'"size_pre":0.015,"size_post_risk":0.012,"entry_price":100.5,"exit_price":null,'
        b'"reason_tags":["lstm_bullish","news_positive","vol_normal"],"policy_version":""'
    )
    assert json.loads(line)["exit_price"] is None


@given(data=st.data())
def test_trade_log_lines_round_trip_and_are_deterministic(data):
    entry = data.draw(strategy_for(TradeLogEntry))

    line = encode_trade_log_line(entry)

    assert decode_trade_log_line(line) == entry
    assert encode_trade_log_line(decode_trade_log_line(line)) == line


@pytest.mark.parametrize("line", [b"", b"{", b'{"timestamp": 1}', SEED_ENTRY.replace(b'"demo"', b'"paper"')])
def test_bad_lines_raise_schema_decode_error(line):
    with pytest.raises(SchemaDecodeError):
        decode_trade_log_line(line)


@pytest.mark.parametrize(
    ("ts_ns", "text"),
    [
        (0, "1970-01-01T00:00:00Z"),
        (TS_2025_10_05_10H, "2025-10-05T10:00:00Z"),
        (TS_2025_10_05_10H + 250_000_000, "2025-10-05T10:00:00.250Z"),
        (TS_2025_10_05_10H + 1_500, "2025-10-05T10:00:00.000001500Z"),
        (TS_2025_10_05_10H + 123_000, "2025-10-05T10:00:00.000123Z"),
        (TS_2025_10_05_10H + 999_999_999, "2025-10-05T10:00:00.999999999Z"),
    ],
)
def test_iso_utc_examples(ts_ns, text):
    assert iso_utc(ts_ns) == text
    assert parse_iso_utc(text) == ts_ns


@given(ts_ns=st.integers(min_value=0, max_value=253_402_300_799_999_999_999))
def test_iso_utc_round_trips_and_agrees_with_datetime(ts_ns):
    text = iso_utc(ts_ns)

    assert parse_iso_utc(text) == ts_ns
    seconds = ts_ns // 1_000_000_000
    assert text.startswith(datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S"))
    fraction = text[20:-1]
    assert (fraction == "") == (ts_ns % 1_000_000_000 == 0)
    if fraction:
        assert len(fraction) in (3, 6, 9)
        assert len(fraction) == 3 or fraction[-3:] != "000"


@pytest.mark.parametrize(
    "text",
    ["2025-10-05 10:00:00Z", "2025-10-05T10:00:00", "2025-10-05T10:00:00+00:00", "2025-02-30T00:00:00Z"],
)
def test_parse_iso_utc_rejects_other_forms(text):
    with pytest.raises(SchemaDecodeError):
        parse_iso_utc(text)


def test_a_line_written_before_quantity_fees_and_fill_count_still_decodes():
    old = json.loads(SEED_ENTRY) | {"policy_version": "p1", "trade_id": "t-1", "schema_version": 1}

    entry = decode_trade_log_line(json.dumps(old).encode())

    assert (entry.quantity, entry.fees, entry.fill_count) == (None, None, None)
    assert entry.trade_id == "t-1"
