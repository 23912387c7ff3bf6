"""EmbeddedFileStore: atomic replace, durability across a reopen, key rules, corrupt documents."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from adapters.state import EmbeddedFileStore, RedisStateStore, open_store
from engine.config import RiskConfig, StoreConfig
from engine.errors import StateStoreError
from engine.risk.supervisor import RiskSupervisor
from engine.state import StateStore


def test_put_get_delete_roundtrip(tmp_path: Path) -> None:
    store = EmbeddedFileStore(tmp_path / "state")

    assert store.get("risk") is None
    store.put("risk", b"\x00binary\xff")
    assert store.get("risk") == b"\x00binary\xff"
    store.put("risk", b"second")
    assert store.get("risk") == b"second"
    store.delete("risk")
    store.delete("risk")  # deleting a missing key is fine
    assert store.get("risk") is None
    assert isinstance(store, StateStore)


def test_restart_reads_back(tmp_path: Path) -> None:
    first = EmbeddedFileStore(tmp_path)
    first.put("llm_budget:2025-10-06", b"2")
    first.close()

    assert EmbeddedFileStore(tmp_path).get("llm_budget:2025-10-06") == b"2"


def test_put_leaves_only_the_key_file(tmp_path: Path) -> None:
    store = EmbeddedFileStore(tmp_path)

    for i in range(5):
        store.put("risk", str(i).encode())

    assert sorted(p.name for p in tmp_path.iterdir()) == ["risk.state"]


def test_failed_replace_keeps_the_old_value_and_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = EmbeddedFileStore(tmp_path)
    store.put("risk", b"old")

    def crash(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(StateStoreError, match="'risk'.*No space left") as info:
        store.put("risk", b"new")
    monkeypatch.undo()

    assert isinstance(info.value.__cause__, OSError)
    assert store.get("risk") == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["risk.state"]


def test_concurrent_reader_never_sees_a_torn_value(tmp_path: Path) -> None:
    store = EmbeddedFileStore(tmp_path)
    values = (b"A" * 1_000_000, b"B" * 1_000_000)
    store.put("risk", values[0])
    seen: set[bytes] = set()
    done = threading.Event()

    def read() -> None:
        reader = EmbeddedFileStore(tmp_path)
        while not done.is_set():
            value = reader.get("risk")
            seen.add(value[:1] + value[-1:] + str(len(value)).encode())

    thread = threading.Thread(target=read)
    thread.start()
    for i in range(30):
        store.put("risk", values[i % 2])
    done.set()
    thread.join()

    assert seen <= {b"AA1000000", b"BB1000000"}


@pytest.mark.parametrize(
    "key", ["", "../risk", "a/b", "a\\b", "..", ".hidden", "risk..old", "é", "a b", "x" * 201]
)
def test_bad_keys_are_rejected(tmp_path: Path, key: str) -> None:
    store = EmbeddedFileStore(tmp_path / "state")

    with pytest.raises(StateStoreError):
        store.put(key, b"x")
    with pytest.raises(StateStoreError):
        store.get(key)
    assert list((tmp_path / "state").iterdir()) == []
    assert not (tmp_path / "risk.state").exists()


def test_corrupted_risk_document_gives_a_clear_error(tmp_path: Path) -> None:
    store = EmbeddedFileStore(tmp_path)
    store.path_for("risk").write_bytes(b'{"schema_version": 1, "day": "2025-10-06", "kill_da')

    with pytest.raises(StateStoreError, match="risk state under key 'risk' is corrupt"):
        RiskSupervisor(RiskConfig(), "full", store=store)


def test_root_that_is_a_file_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "file").write_bytes(b"")

    with pytest.raises(StateStoreError):
        EmbeddedFileStore(tmp_path / "file")


def test_closed_store_refuses_calls(tmp_path: Path) -> None:
    store = EmbeddedFileStore(tmp_path)
    store.close()

    with pytest.raises(StateStoreError, match="closed"):
        store.get("risk")


def test_open_store_file_backend_resolves_relative_paths_against_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    default = open_store(StoreConfig(backend="file", path="rel/state"))
    override = open_store(StoreConfig(backend="file"), path=Path("run/state"))

    assert isinstance(default, EmbeddedFileStore) and default.root == tmp_path / "rel" / "state"
    assert isinstance(override, EmbeddedFileStore) and override.root == tmp_path / "run" / "state"


def test_open_store_redis_backend() -> None:
    store = open_store(StoreConfig(backend="redis", redis_url="redis://127.0.0.1:6379/0", key_prefix="t:"))

    assert isinstance(store, RedisStateStore) and store.key_prefix == "t:"
    store.close()
