"""Replay's write-behind store: reads see its own writes at once, the files only change at ``sync`` (each
changed key once), a second writer of the directory during the run is refused at ``sync``, and a run that
never syncs leaves the directory as it was."""

import pytest

from adapters.state import EmbeddedFileStore
from adapters.state.write_behind import WriteBehindStore
from engine.errors import StaleStateError, StateStoreError
from engine.state import MemoryStateStore, VersionedStateStore


def test_reads_see_writes_and_files_change_only_at_sync(tmp_path):
    files = EmbeddedFileStore(tmp_path, durable=False)
    files.put("risk", b"v0")
    store = WriteBehindStore(files)
    assert isinstance(store, VersionedStateStore)
    assert store.get("risk") == b"v0"
    store.compare_and_set("risk", b"v0", b"v1")
    store.put("risk", b"v2")
    store.put("policy", b"p1")
    store.delete("gone")  # never existed: nothing to remove
    assert store.get("risk") == b"v2" and store.get("policy") == b"p1" and store.get("gone") is None
    assert files.get("risk") == b"v0" and files.get("policy") is None  # nothing written yet
    with pytest.raises(StaleStateError):
        store.compare_and_set("risk", b"v1", b"v3")  # checked against what this store holds now
    store.sync()
    assert files.get("risk") == b"v2" and files.get("policy") == b"p1"
    store.delete("policy")
    store.sync()
    assert files.get("policy") is None and sorted(p.name for p in tmp_path.glob("*.state")) == ["risk.state"]


def test_each_changed_key_is_written_once_per_sync():
    inner = MemoryStateStore()
    store = WriteBehindStore(inner)
    for i in range(50):
        store.put("risk", f"v{i}".encode())
    store.put("same", b"x")
    store.sync()
    assert inner.puts == 2 and inner.get("risk") == b"v49"
    store.put("same", b"x")  # unchanged since the last sync: not written again
    store.sync()
    assert inner.puts == 2


def test_a_second_writer_during_the_run_is_refused_at_sync(tmp_path):
    files = EmbeddedFileStore(tmp_path, durable=False)
    files.put("risk", b"v0")
    store = WriteBehindStore(files)
    store.put("risk", b"mine")
    EmbeddedFileStore(tmp_path, durable=False).put("risk", b"theirs")  # another process, meanwhile
    with pytest.raises(StaleStateError):
        store.sync()
    assert files.get("risk") == b"theirs"


def test_without_sync_the_directory_is_untouched_and_a_closed_store_refuses(tmp_path):
    files = EmbeddedFileStore(tmp_path, durable=False)
    store = WriteBehindStore(files)
    store.put("risk", b"v1")
    store.close()
    assert not list(tmp_path.glob("*.state"))
    with pytest.raises(StateStoreError):
        store.get("risk")
    with pytest.raises(StateStoreError):
        store.sync()
