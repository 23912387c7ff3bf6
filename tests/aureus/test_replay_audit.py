"""Replay writes OUT/audit.jsonl: a hash-chained ledger of its orders and risk events, identical on rerun."""

from pathlib import Path

import pytest

from adapters.audit.ledger import read_ledger, verify_ledger
from aureus.replay import run_replay
from engine.config import load_config
from schemas.codec import decode


@pytest.fixture(scope="module")
def small_synthetic(tmp_path_factory) -> Path:
    from adapters.synthetic import synthesize

    path = tmp_path_factory.mktemp("synth") / "rec"
    synthesize(11, path, days=3)
    return path


def test_replay_ledger_verifies_and_is_byte_identical_on_rerun(small_synthetic, tmp_path):
    cfg = load_config(overrides=["replay.progress=false"])
    run_replay(cfg, data=small_synthetic, out=tmp_path / "a")
    run_replay(cfg, data=small_synthetic, out=tmp_path / "a")  # same OUT: replaced, not continued
    run_replay(cfg, data=small_synthetic, out=tmp_path / "b")
    ledger = tmp_path / "a" / "audit.jsonl"
    assert verify_ledger(ledger).ok and verify_ledger(ledger).anchored
    assert ledger.read_bytes() == (tmp_path / "b" / "audit.jsonl").read_bytes()
    records = list(read_ledger(ledger))
    kinds = {r.kind for r in records}
    assert "orders" in kinds and kinds <= {"orders", "fills", "risk", "control"}
    assert [r.ts_event for r in records] == sorted(r.ts_event for r in records)
    for record in records:
        assert decode(record.kind, record.payload).ts_event == record.ts_event
