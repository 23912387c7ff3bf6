"""A store opened with ``durable=False`` (replay) writes atomically without an fsync per write; ``sync``
fsyncs every key once. A replay's risk-state writes take no fsync each, and the state is synced at the end."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from adapters.state import EmbeddedFileStore, file_store


@pytest.fixture()
def fsyncs(monkeypatch) -> list[int]:
    calls: list[int] = []
    real = os.fsync

    def counting(fd: int) -> None:
        if sys._getframe(1).f_code.co_filename == file_store.__file__:  # not the run directory's own
            calls.append(fd)
        real(fd)

    monkeypatch.setattr(os, "fsync", counting)
    return calls


def test_durable_store_fsyncs_every_write(tmp_path: Path, fsyncs: list[int]) -> None:
    store = EmbeddedFileStore(tmp_path)
    for i in range(5):
        store.put("risk", str(i).encode())
    assert len(fsyncs) == 10  # the file and the directory per write


def test_non_durable_store_writes_atomically_and_syncs_once(tmp_path: Path, fsyncs: list[int]) -> None:
    store = EmbeddedFileStore(tmp_path, durable=False)
    for i in range(50):
        store.put("risk", str(i).encode())
        store.compare_and_set("other", None if i == 0 else str(i - 1).encode(), str(i).encode())
    assert fsyncs == []
    assert store.get("risk") == b"49" and store.get("other") == b"49"
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".tmp-lock")) == [
        "other.state",
        "risk.state",
    ]
    store.sync()
    assert len(fsyncs) == 3  # each key's file, then the directory
    assert EmbeddedFileStore(tmp_path).get("risk") == b"49"


def test_a_replay_syncs_its_state_once_instead_of_per_write(tmp_path: Path, fsyncs: list[int]) -> None:
    from adapters.synthetic import synthesize
    from aureus.replay import run_replay
    from engine.config import load_config

    rec = tmp_path / "rec"
    synthesize(7, rec, days=3, n_instruments=2)
    run_replay(load_config(overrides=["replay.progress=false"]), data=rec, out=tmp_path / "out")

    state = tmp_path / "out" / "state"
    keys = sorted(p.name for p in state.iterdir() if p.suffix == ".state")
    assert "risk.state" in keys
    # three day rolls and the stop each wrote the risk state: with an fsync per write that is >= 8
    assert len(fsyncs) == len(keys) + 1
