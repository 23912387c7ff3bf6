"""RedisStateStore against the real Redis on 127.0.0.1:6379 (a unique key prefix per run, cleaned up)."""

from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Iterator

import pytest
import redis

from adapters.state import RedisStateStore
from engine.config import RiskConfig
from engine.errors import StateStoreError, StateStoreUnavailableError
from engine.risk.supervisor import RiskSupervisor
from engine.state import StateStore

REDIS_URL = "redis://127.0.0.1:6379/0"


def _redis_or_fail() -> redis.Redis:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1.0, socket_timeout=2.0)
    try:
        client.ping()
    except redis.exceptions.RedisError as e:
        pytest.fail(f"no Redis answers PING at {REDIS_URL} ({e}); .ci/run starts one")
    return client


@pytest.fixture
def raw() -> Iterator[redis.Redis]:
    client = _redis_or_fail()
    yield client
    client.close()


@pytest.fixture
def prefix(raw: redis.Redis) -> Iterator[str]:
    value = f"aureus-test:{uuid.uuid4().hex}:"
    yield value
    keys = list(raw.scan_iter(match=value + "*"))
    if keys:
        raw.delete(*keys)


@pytest.fixture
def store(prefix: str) -> Iterator[RedisStateStore]:
    s = RedisStateStore(REDIS_URL, prefix)
    yield s
    s.close()


def test_put_get_delete_roundtrip(store: RedisStateStore, raw: redis.Redis, prefix: str) -> None:
    assert store.get("risk") is None
    store.put("risk", b"\x00binary\xff")
    assert store.get("risk") == b"\x00binary\xff"
    assert raw.get(prefix + "risk") == b"\x00binary\xff"  # stored under the prefixed key
    store.put("risk", b"second")
    assert store.get("risk") == b"second"
    store.delete("risk")
    store.delete("risk")
    assert store.get("risk") is None and raw.exists(prefix + "risk") == 0
    assert isinstance(store, StateStore)


def test_prefixes_isolate_stores(store: RedisStateStore, prefix: str) -> None:
    other = RedisStateStore(REDIS_URL, prefix + "other:")
    store.put("risk", b"mine")

    assert other.get("risk") is None
    other.close()


def test_restart_reads_back(store: RedisStateStore, prefix: str) -> None:
    store.put("risk", b"persisted")
    store.close()

    reopened = RedisStateStore(REDIS_URL, prefix)
    assert reopened.get("risk") == b"persisted"
    reopened.close()


def test_concurrent_reader_never_sees_a_torn_value(store: RedisStateStore, prefix: str) -> None:
    values = (b"A" * 500_000, b"B" * 500_000)
    store.put("risk", values[0])
    seen: set[bytes] = set()
    done = threading.Event()

    def read() -> None:
        reader = RedisStateStore(REDIS_URL, prefix)
        while not done.is_set():
            value = reader.get("risk")
            seen.add(value[:1] + value[-1:] + str(len(value)).encode())
        reader.close()

    thread = threading.Thread(target=read)
    thread.start()
    for i in range(30):
        store.put("risk", values[i % 2])
    done.set()
    thread.join()

    assert seen <= {b"AA500000", b"BB500000"}


@pytest.mark.parametrize("key", ["", "../risk", "a/b", "..", ".hidden", "a b", "x" * 201])
def test_bad_keys_are_rejected(store: RedisStateStore, raw: redis.Redis, prefix: str, key: str) -> None:
    with pytest.raises(StateStoreError):
        store.put(key, b"x")
    assert list(raw.scan_iter(match=prefix + "*")) == []


def test_unreachable_server_is_a_retryable_error() -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    store = RedisStateStore(f"redis://127.0.0.1:{port}/0", "x:", connect_timeout_s=0.5)

    with pytest.raises(StateStoreUnavailableError, match="unavailable") as info:
        store.get("risk")

    assert isinstance(info.value.__cause__, redis.exceptions.ConnectionError)
    assert info.value.retry_after > 0


def test_wrong_type_under_the_key_is_a_store_error(
    store: RedisStateStore, raw: redis.Redis, prefix: str
) -> None:
    raw.rpush(prefix + "risk", b"x")

    with pytest.raises(StateStoreError, match="'risk'") as info:
        store.get("risk")

    assert isinstance(info.value.__cause__, redis.exceptions.ResponseError)


def test_password_is_not_in_messages() -> None:
    store = RedisStateStore("redis://user:s3cret@127.0.0.1:1/0", "x:", connect_timeout_s=0.2)

    with pytest.raises(StateStoreUnavailableError) as info:
        store.get("risk")

    assert "s3cret" not in str(info.value) and "***" in str(info.value)


def test_closed_store_refuses_calls(store: RedisStateStore) -> None:
    store.close()

    with pytest.raises(StateStoreError, match="closed"):
        store.put("risk", b"x")


def test_corrupted_risk_document_gives_a_clear_error(
    store: RedisStateStore, raw: redis.Redis, prefix: str
) -> None:
    raw.set(prefix + "risk", b"not json")

    with pytest.raises(StateStoreError, match="risk state under key 'risk' is corrupt"):
        RiskSupervisor(RiskConfig(), "full", store=store)
