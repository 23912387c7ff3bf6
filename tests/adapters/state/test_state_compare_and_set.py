"""Versioned compare-and-set on every store: a write based on a stale read fails and writes nothing.

Runs on the memory store, the embedded file store and the real Redis (unique key prefix, cleaned up).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from adapters.state import EmbeddedFileStore, RedisStateStore
from engine.config import RiskConfig
from engine.errors import StaleStateError
from engine.risk.state import decode_risk_state
from engine.risk.supervisor import RiskSupervisor
from engine.state import MemoryStateStore, VersionedStateStore

REDIS_URL = "redis://127.0.0.1:6379/0"
DAY = 86_400 * 1_000_000_000


@pytest.fixture(params=["memory", "file", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[VersionedStateStore]:
    if request.param == "memory":
        yield MemoryStateStore()
    elif request.param == "file":
        yield EmbeddedFileStore(tmp_path / "state")
    else:
        prefix = f"aureus-test:{uuid.uuid4().hex}:"
        s = RedisStateStore(REDIS_URL, prefix)
        s.ping()
        yield s
        s.close()
        client = redis.Redis.from_url(REDIS_URL)
        keys = list(client.scan_iter(match=prefix + "*"))
        if keys:
            client.delete(*keys)
        client.close()


def test_compare_and_set_writes_only_over_what_was_read(store):
    assert isinstance(store, VersionedStateStore)
    store.compare_and_set("risk", None, b"v1")
    store.compare_and_set("risk", b"v1", b"v2")

    with pytest.raises(StaleStateError, match="changed since it was read"):
        store.compare_and_set("risk", b"v1", b"v3")  # based on a stale read
    with pytest.raises(StaleStateError):
        store.compare_and_set("risk", None, b"v4")  # expected absent, but present
    store.delete("risk")
    with pytest.raises(StaleStateError):
        store.compare_and_set("risk", b"v2", b"v5")  # expected present, but deleted

    assert store.get("risk") is None


def test_concurrent_writers_from_the_same_read_exactly_one_wins(store):
    store.put("risk", b"base")
    results: list[str] = []
    barrier = threading.Barrier(8)

    def write(i: int) -> None:
        barrier.wait()
        try:
            store.compare_and_set("risk", b"base", f"writer-{i}".encode())
            results.append("ok")
        except StaleStateError:
            results.append("stale")

    threads = [threading.Thread(target=write, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(results) == ["ok"] + ["stale"] * 7
    assert store.get("risk").startswith(b"writer-")


def test_a_second_supervisor_never_silently_overwrites_the_first(store):
    node = RiskSupervisor(RiskConfig(), "full", store=store)
    node.mark(DAY, 100_000.0)
    operator = RiskSupervisor(RiskConfig(), "full", store=store)  # reads version N
    node.mark(DAY + 1, 99_000.0)  # the node moves on: version N+1 (a mark alone, interval 0)

    update = operator.record_override(DAY + 2, by="ops", reason="stale read")

    assert not update.persisted
    assert [a.code for a in update.alerts] == ["risk_state_conflict"]
    stored = decode_risk_state(store.get("risk"))
    assert stored.overrides == () and stored.last_nav == 99_000.0 and stored.version == node.state.version


def test_risk_status_reads_without_writing(tmp_path):
    store = EmbeddedFileStore(tmp_path / "state")
    node = RiskSupervisor(RiskConfig(), "full", store=store)
    node.mark(DAY, 100_000.0)
    before = store.get("risk")

    status = RiskSupervisor(RiskConfig(), "demo", store=store, read_only=True)
    status.flush(DAY + 5)

    assert store.get("risk") == before
    assert status.state.configured_mode == "full"  # what is stored, not the reader's config
