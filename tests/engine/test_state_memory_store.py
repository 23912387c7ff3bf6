"""MemoryStateStore and the key rule every store shares."""

from __future__ import annotations

import pytest

from engine.errors import StateStoreError
from engine.state import MemoryStateStore, StateStore, validate_key


def test_roundtrip_copy_and_reopen() -> None:
    store = MemoryStateStore()
    value = bytearray(b"abc")

    store.put("policy", value)
    value[0] = ord("x")  # the store kept its own copy

    assert store.get("policy") == b"abc" and store.get("missing") is None
    store.close()
    with pytest.raises(StateStoreError, match="closed"):
        store.get("policy")
    reopened = store.reopen()
    assert reopened.get("policy") == b"abc" and reopened.keys() == ["policy"]
    reopened.delete("policy")
    reopened.delete("policy")
    assert reopened.keys() == [] and isinstance(reopened, StateStore)


@pytest.mark.parametrize("key", ["risk", "llm_budget:2025-10-06", "offsets.md-bars_0", "A1"])
def test_valid_keys(key: str) -> None:
    assert validate_key(key) == key


@pytest.mark.parametrize("key", ["", "a/b", "a\\b", "..", "x..y", ".x", "-x", "a b", "ü", "x" * 201])
def test_invalid_keys(key: str) -> None:
    with pytest.raises(StateStoreError):
        MemoryStateStore().put(key, b"")
