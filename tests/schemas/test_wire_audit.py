"""The audit hash chain verifies an untouched ledger and detects any tampering."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas import codec
from schemas.audit import (
    GENESIS_HASH,
    AuditRecord,
    append_record,
    find_chain_break,
    record_hash,
    verify_chain,
)

PAYLOADS = st.lists(st.tuples(st.text(max_size=8), st.binary(max_size=32)), min_size=1, max_size=12)


def _ledger(items: list[tuple[str, bytes]]) -> list[AuditRecord]:
    records: list[AuditRecord] = []
    for ts, (kind, payload) in enumerate(items):
        records.append(
            append_record(records[-1] if records else None, ts_event=ts, kind=kind, payload=payload)
        )
    return records


def test_first_record_points_to_genesis_and_hash_is_recomputable():
    record = append_record(None, ts_event=5, kind="orders", payload=b'{"a":1}')

    assert record.seq == 0 and record.prev_hash == GENESIS_HASH
    assert record.hash == record_hash(
        schema_version=1, seq=0, ts_event=5, kind="orders", payload=b'{"a":1}', prev_hash=GENESIS_HASH
    )
    assert len(record.hash) == 64


@given(items=PAYLOADS)
def test_untouched_ledger_verifies_and_survives_the_codec(items):
    ledger = _ledger(items)

    decoded = [codec.decode("audit", codec.encode("audit", record)) for record in ledger]

    assert verify_chain(ledger)
    assert verify_chain(decoded)
    assert find_chain_break(ledger) is None


@given(items=PAYLOADS, data=st.data())
def test_changing_any_field_of_any_record_is_detected(items, data):
    ledger = _ledger(items)
    index = data.draw(st.integers(min_value=0, max_value=len(ledger) - 1))
    record = ledger[index]
    field = data.draw(st.sampled_from(["ts_event", "kind", "payload", "prev_hash", "hash", "seq"]))
    tampered = {
        "ts_event": record.ts_event + 1,
        "kind": record.kind + "x",
        "payload": record.payload + b"\x00",
        "prev_hash": "f" * 64,
        "hash": "e" * 64,
        "seq": record.seq + 1,
    }[field]
    ledger[index] = AuditRecord(
        **{**{f: getattr(record, f) for f in record.__struct_fields__}, field: tampered}
    )

    found = find_chain_break(ledger)

    assert found is not None and found.index == index
    assert not verify_chain(ledger)


@given(items=PAYLOADS.filter(lambda items: len(items) >= 2), data=st.data())
def test_removing_or_swapping_records_is_detected(items, data):
    ledger = _ledger(items)
    index = data.draw(st.integers(min_value=0, max_value=len(ledger) - 2))

    removed = ledger[:index] + ledger[index + 1 :]
    swapped = ledger[:index] + [ledger[index + 1], ledger[index]] + ledger[index + 2 :]

    assert find_chain_break(removed).index == index
    assert find_chain_break(swapped).index == index


def test_a_tail_verifies_from_its_anchor():
    ledger = _ledger([("orders", b"a"), ("fills", b"b"), ("control", b"c")])

    assert verify_chain(ledger[1:], prev_hash=ledger[0].hash, start_seq=1)
    assert not verify_chain(ledger[1:])


def test_same_content_gives_same_hash_and_fields_are_not_ambiguous():
    a = record_hash(schema_version=1, seq=1, ts_event=12, kind="ab", payload=b"c", prev_hash=GENESIS_HASH)
    b = record_hash(schema_version=1, seq=11, ts_event=2, kind="a", payload=b"bc", prev_hash=GENESIS_HASH)

    assert a == record_hash(
        schema_version=1, seq=1, ts_event=12, kind="ab", payload=b"c", prev_hash=GENESIS_HASH
    )
    assert a != b


@pytest.mark.parametrize("field", ["payload", "kind"])
def test_break_reason_names_the_hash(field):
    ledger = _ledger([("orders", b"a")])
    ledger[0] = AuditRecord(
        **{
            **{f: getattr(ledger[0], f) for f in ledger[0].__struct_fields__},
            field: b"z" if field == "payload" else "z",
        }
    )

    assert find_chain_break(ledger).reason.startswith("hash")
