"""Deterministic client order ids and the entry record carried in an order tag."""

import math

from hypothesis import given
from hypothesis import strategies as st
from nautilus_trader.model.identifiers import ClientOrderId

from strategies.order_ids import (
    PURPOSE_CODES,
    EntryRecord,
    attempt_of,
    client_order_id,
    decision_ts_of,
    entry_from_tags,
    entry_tag,
    purpose_of,
)

TS = 1_677_645_000_000_000_000


def test_the_same_decision_gives_the_same_short_valid_id():
    a = client_order_id("MetaEnsemble-001", "BTCUSDT.BINANCE", TS, "entry")
    b = client_order_id("MetaEnsemble-001", "BTCUSDT.BINANCE", TS, "entry")

    assert a == b and isinstance(a, ClientOrderId)
    assert a.value.startswith("E0-1677645000000-") and len(a.value) <= 36
    assert (purpose_of(a), attempt_of(a), decision_ts_of(a)) == ("entry", 0, TS)


@given(
    instrument=st.sampled_from(["BTCUSDT.BINANCE", "ETHUSDT.BINANCE", "AAPL.XNAS"]),
    ts=st.integers(min_value=10**18, max_value=4 * 10**18),
    purpose=st.sampled_from(sorted(PURPOSE_CODES)),
    attempt=st.integers(min_value=0, max_value=99),
)
def test_ids_round_trip_their_parts_and_fit_venue_limits(instrument, ts, purpose, attempt):
    order_id = client_order_id("MetaEnsemble-001", instrument, ts, purpose, attempt)

    assert (purpose_of(order_id), attempt_of(order_id), decision_ts_of(order_id)) == (purpose, attempt, ts)
    assert len(order_id.value) <= 36 and all(c.isalnum() or c == "-" for c in order_id.value)


def test_any_part_changes_the_id():
    base = ("MetaEnsemble-001", "BTCUSDT.BINANCE", TS, "entry", 0)
    variants = [
        ("MetaEnsemble-002", *base[1:]),
        (base[0], "ETHUSDT.BINANCE", *base[2:]),
        (*base[:2], TS + 60_000_000_000, *base[3:]),
        (*base[:3], "stop", 0),
        (*base[:4], 1),
    ]
    ids = {client_order_id(*v).value for v in [base, *variants]}
    assert len(ids) == 6


def test_ids_made_by_nautilus_have_no_purpose():
    assert purpose_of("O-20230301-050200-001-000-1") is None


def test_entry_record_travels_in_a_tag_and_bad_tags_give_none():
    record = EntryRecord(
        size_pre=0.2, size_post=0.015, reason_tags=("a", "b,c"), mode="demo", route="", atr=12.5
    )

    assert entry_from_tags(["ENTRY", entry_tag(record)]) == record
    assert entry_from_tags(["ENTRY"]) is None
    assert entry_from_tags(["aureus-entry:[1,2"]) is None
    nan_record = EntryRecord(size_pre=math.nan, size_post=0.0, reason_tags=(), mode="", route="", atr=1.0)
    assert entry_from_tags([entry_tag(nan_record)]) is None  # NaN does not travel: refused, not guessed
