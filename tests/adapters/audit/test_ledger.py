"""The ledger writer resumes its chain; verify names the first bad record for any tampering."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.audit.errors import LedgerError
from adapters.audit.ledger import LedgerWriter, head_path, read_ledger, verify_ledger
from schemas.audit import AuditRecord, append_record

T0 = 1_700_000_000 * 10**9


def _write(path: Path, n: int, start: int = 0) -> None:
    with LedgerWriter(path, fsync=False) as w:
        for i in range(start, start + n):
            w.append(ts_event=T0 + i, kind="orders", payload=f'{{"n":{i}}}'.encode())


def test_restarted_writer_continues_the_chain_without_duplicates(tmp_path):
    ledger = tmp_path / "audit.jsonl"
    _write(ledger, 5)
    _write(ledger, 5, start=3)  # 3, 4 redelivered after a "crash": not appended again
    records = list(read_ledger(ledger))
    assert [r.seq for r in records] == list(range(8))
    assert [r.payload for r in records] == [f'{{"n":{i}}}'.encode() for i in range(8)]
    assert verify_ledger(ledger).ok and verify_ledger(ledger).anchored


def test_torn_last_line_is_cut_and_the_chain_continues(tmp_path):
    ledger = tmp_path / "audit.jsonl"
    _write(ledger, 3)
    with ledger.open("ab") as f:
        f.write(b'{"type":"audit_record","seq":3,"ts_ev')
    _write(ledger, 1, start=10)
    assert [r.seq for r in read_ledger(ledger)] == [0, 1, 2, 3]
    assert verify_ledger(ledger).ok


def test_records_written_after_the_last_head_update_are_accepted_on_restart(tmp_path):
    ledger = tmp_path / "audit.jsonl"
    _write(ledger, 2)
    head = head_path(ledger).read_bytes()
    _write(ledger, 2, start=2)
    head_path(ledger).write_bytes(head)  # as if the process died between the append and the head update
    assert verify_ledger(ledger).first_bad_seq == 2
    _write(ledger, 1, start=4)
    assert verify_ledger(ledger).ok and len(list(read_ledger(ledger))) == 5


def test_writer_refuses_to_extend_a_broken_chain(tmp_path):
    ledger = tmp_path / "audit.jsonl"
    _write(ledger, 3)
    lines = ledger.read_bytes().splitlines(keepends=True)
    ledger.write_bytes(lines[0] + lines[2])
    with pytest.raises(LedgerError, match="chain breaks at seq 1"):
        LedgerWriter(ledger)


def _ledger_lines(n: int) -> list[bytes]:
    enc = msgspec.json.Encoder(order="deterministic")
    out, previous = [], None
    for i in range(n):
        previous = append_record(previous, ts_event=T0 + i, kind="fills", payload=f"p{i}".encode())
        out.append(enc.encode(previous) + b"\n")
    return out


@settings(max_examples=60, deadline=None)
@given(
    data=st.data(),
    n=st.integers(min_value=2, max_value=12),
    mutation=st.sampled_from(["edit", "insert", "delete", "reorder"]),
)
def test_verify_names_the_first_bad_seq_of_any_tampering(tmp_path_factory, data, n, mutation):
    path = tmp_path_factory.mktemp("ledger") / "audit.jsonl"
    lines = _ledger_lines(n)
    dec = msgspec.json.Decoder()
    if mutation == "edit":
        i = data.draw(st.integers(0, n - 1))
        doc = dec.decode(lines[i])
        field = data.draw(st.sampled_from(["ts_event", "kind", "payload"]))
        doc[field] = doc[field] + 1 if field == "ts_event" else doc[field] + "A"
        lines[i] = msgspec.json.encode(doc) + b"\n"
        want = i
    elif mutation == "insert":
        # A forger who chains the record to its predecessor passes at i and is caught at i + 1 (or, at the
        # end, by the head anchor); a naive one is caught at i.
        i = data.draw(st.integers(0, n))
        chained = data.draw(st.booleans())
        before = msgspec.json.decode(lines[i - 1], type=AuditRecord) if i and chained else None
        forged = append_record(before, ts_event=T0, kind="fills", payload=b"forged")
        if not chained:
            forged = msgspec.structs.replace(forged, seq=i, prev_hash="f" * 64)
        lines.insert(i, msgspec.json.encode(forged) + b"\n")
        want = min(i + 1, n) if chained else i
    elif mutation == "delete":
        i = data.draw(st.integers(0, n - 1))
        del lines[i]
        want = i
    else:
        i = data.draw(st.integers(0, n - 2))
        j = data.draw(st.integers(i + 1, n - 1))
        lines[i], lines[j] = lines[j], lines[i]
        want = i
    path.write_bytes(b"".join(_ledger_lines(n)))
    with LedgerWriter(path, fsync=False):
        pass  # anchors the head on the untouched ledger
    assert verify_ledger(path).ok
    path.write_bytes(b"".join(lines))
    result = verify_ledger(path)
    assert not result.ok
    assert result.first_bad_seq == want, result.reason
