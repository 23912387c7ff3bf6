"""``aureus audit verify FILE``: OK with exit 0, or the first bad seq with exit 1."""

from __future__ import annotations

from typer.testing import CliRunner

from adapters.audit.ledger import LedgerWriter
from aureus.cli_workers import audit_app

T0 = 1_700_000_000 * 10**9


def test_verify_ok_then_names_the_edited_record(tmp_path):
    ledger = tmp_path / "audit.jsonl"
    with LedgerWriter(ledger, fsync=False) as writer:
        for i in range(5):
            writer.append(ts_event=T0 + i, kind="fills", payload=f"fill {i}".encode())
    ok = CliRunner().invoke(audit_app, [str(ledger)])
    assert ok.exit_code == 0 and "5 records" in ok.output and "head anchor matches" in ok.output
    lines = ledger.read_bytes().splitlines(keepends=True)
    lines[3] = lines[3].replace(b'"ts_event":' + str(T0 + 3).encode(), b'"ts_event":' + str(T0 + 99).encode())
    ledger.write_bytes(b"".join(lines))
    bad = CliRunner().invoke(audit_app, [str(ledger)])
    assert bad.exit_code == 1 and "first bad seq 3" in bad.output
