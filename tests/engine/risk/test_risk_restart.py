"""A supervisor rebuilt from the same store after a restart ends exactly where an uninterrupted one does.

Runs the scripted scenario with the embedded file store and with the real Redis (unique key prefix,
cleaned up; fails, never skips, when no Redis answers PING: .ci/run starts one).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import msgspec
import pytest
import redis
from risk_scenario import (
    CONFIGURED_MODE,
    KILL_HOUR,
    N_DAYS,
    default_risk,
    marks_of_days,
    run_marks,
    scenario_marks,
)

from adapters.state import EmbeddedFileStore, RedisStateStore
from engine.risk.state import RiskState, decode_risk_state
from engine.risk.supervisor import RiskSupervisor
from engine.state import StateStore

REDIS_URL = "redis://127.0.0.1:6379/0"
StoreFactory = Callable[[], StateStore]


@pytest.fixture(scope="module")
def uninterrupted() -> RiskState:
    sup = RiskSupervisor(default_risk(), CONFIGURED_MODE)
    run_marks(sup, scenario_marks())
    return sup.state


@pytest.fixture(params=["file", "redis"])
def open_same_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreFactory]:
    """A factory that opens the same store again each call, as a restarted process would."""
    if request.param == "file":
        yield lambda: EmbeddedFileStore(tmp_path / "state")
        return
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1.0)
    try:
        client.ping()
    except redis.exceptions.RedisError as e:
        pytest.fail(f"no Redis answers PING at {REDIS_URL} ({e}); .ci/run starts one")
    prefix = f"aureus-test:{uuid.uuid4().hex}:"
    yield lambda: RedisStateStore(REDIS_URL, prefix)
    keys = list(client.scan_iter(match=prefix + "*"))
    if keys:
        client.delete(*keys)
    client.close()


def _assert_same_outcome(state: RiskState, expected: RiskState) -> None:
    assert state.kill_days == expected.kill_days
    assert state.demo_days == expected.demo_days
    assert state.quarantine_days == expected.quarantine_days
    assert state.sip_ledger == expected.sip_ledger
    # every field, SIP balance and flatten record included; ``version`` counts writes, and the
    # uninterrupted reference run has no store
    unversioned = msgspec.structs.replace
    assert unversioned(state, version=0) == unversioned(expected, version=0)


def test_restart_after_day_5(open_same_store: StoreFactory, uninterrupted: RiskState) -> None:
    first_store = open_same_store()
    first = RiskSupervisor(default_risk(), CONFIGURED_MODE, store=first_store)
    run_marks(first, marks_of_days(1, 5))
    first_store.close()
    del first

    store = open_same_store()
    second = RiskSupervisor(default_risk(), CONFIGURED_MODE, store=store)
    assert second.state.kill_days[-1] == marks_of_days(4, 4)[0].day
    assert second.mode == "demo"  # day 5 is a post-kill demo day and is still the current day
    run_marks(second, marks_of_days(6, N_DAYS))

    _assert_same_outcome(second.state, uninterrupted)
    _assert_same_outcome(decode_risk_state(store.get("risk")), uninterrupted)
    store.close()


@pytest.mark.parametrize(
    "restarts_after", [(24 * 7 + 3,), (24 * 9 + 12, 24 * 12)], ids=["day8", "day10+day13"]
)
def test_restarts_mid_day_and_mid_quarantine(
    open_same_store: StoreFactory, uninterrupted: RiskState, restarts_after: tuple[int, ...]
) -> None:
    marks = scenario_marks()
    bounds = (0, *restarts_after, len(marks))
    for start, stop in zip(bounds, bounds[1:], strict=False):
        store = open_same_store()
        run_marks(RiskSupervisor(default_risk(), CONFIGURED_MODE, store=store), marks[start:stop])
        store.close()

    final = RiskSupervisor(default_risk(), CONFIGURED_MODE, store=open_same_store())
    _assert_same_outcome(final.state, uninterrupted)


def test_crash_between_kill_and_flatten(open_same_store: StoreFactory, uninterrupted: RiskState) -> None:
    marks = scenario_marks()
    kill_index = 24 * 3 + KILL_HOUR - 1  # day 4, the kill mark
    store = open_same_store()
    first = RiskSupervisor(default_risk(), CONFIGURED_MODE, store=store)
    run_marks(first, marks[:kill_index])
    assert first.mark(marks[kill_index].ts, marks[kill_index].nav).flatten
    store.close()  # the process dies before it could flatten

    second = RiskSupervisor(default_risk(), CONFIGURED_MODE, store=open_same_store())
    assert second.halted and second.flatten_pending  # the new process knows it must flatten
    assert not second.mark(marks[kill_index].ts, marks[kill_index].nav).flatten  # redelivered mark
    second.record_flatten(marks[kill_index].ts, "kill_switch")
    logs = run_marks(second, marks[kill_index + 1 :])

    assert sum(log.flattens for log in logs.values()) == 1  # only day 7's kill remains
    _assert_same_outcome(second.state, uninterrupted)
