"""Restart after a crash: bars at or before the decided mark in the risk state warm the features and are
not decided again; every bar after it is decided exactly as an uninterrupted run decides it."""

from collections import Counter
from pathlib import Path

import pytest
from strategy_harness import Harness

from engine.risk.state import decode_risk_state
from schemas.topics import SIGNALS


@pytest.fixture(scope="module")
def two_instruments(tmp_path_factory) -> Path:
    from adapters.synthetic import synthesize

    path = tmp_path_factory.mktemp("synth") / "rec"
    synthesize(11, path, days=2, n_instruments=2)
    return path


def _decided(harness: Harness) -> list[tuple[str, int]]:
    return [(d.instrument, d.ts_event) for d in harness.sink.channels.get(SIGNALS, [])]


def test_replayed_bars_are_not_decided_again_and_later_ones_are(two_instruments, tmp_path):
    whole = Harness(two_instruments, tmp_path / "whole", max_bars=1_600)
    whole.run()
    expected = _decided(whole)
    assert len(expected) > 100  # the window goes well past the feature warm-up

    crash_at = 1_200  # bars handed over before the "crash" (two instruments: timestamp 600)
    first = Harness(two_instruments, tmp_path / "state", max_bars=crash_at)
    first.run()
    assert first.strategy._decided_pending  # steps ran, not yet recorded: the daemon's barrier does it
    first.strategy.commit_decided()
    mark = decode_risk_state(first.store.get(first.strategy.risk.supervisor._key)).decided
    last_ts = first.bars[crash_at - 1].ts_event
    assert mark == {b.instrument: last_ts for b in first.bars[-2:]}
    first.store.close()

    # the restart replays from the first bar (a warm-up longer than the recording so far)
    second = Harness(two_instruments, tmp_path / "state", max_bars=1_600)
    second.run()
    counts = Counter(_decided(first) + _decided(second))
    assert [k for k, n in counts.items() if n > 1] == []
    assert set(_decided(first)) == {k for k in expected if k[1] <= last_ts}
    assert set(_decided(second)) == {k for k in expected if k[1] > last_ts}
    assert second.strategy.journal.counters["bars_replayed_not_decided"] == crash_at


def test_a_mark_not_recorded_decides_the_batch_again(two_instruments, tmp_path):
    """Without the barrier's record (a crash before the outputs were acknowledged) nothing is skipped."""
    first = Harness(two_instruments, tmp_path / "state", max_bars=800)
    first.run()
    first.store.close()
    second = Harness(two_instruments, tmp_path / "state", max_bars=800)
    second.run()
    assert second.strategy.journal.counters["bars_replayed_not_decided"] == 0
    assert _decided(second) == _decided(first)


def test_decisions_already_published_are_not_decided_again(two_instruments, tmp_path):
    """A crash mid-batch: decisions reached ``signals`` but no mark was recorded; the daemon reads them
    back and the restarted strategy decides only the bars after them."""
    whole = Harness(two_instruments, tmp_path / "whole", max_bars=1_200)
    whole.run()
    expected = _decided(whole)
    cut = expected[len(expected) // 2][1]
    published = {i: ts for i, ts in expected if ts <= cut}
    second = Harness(two_instruments, tmp_path / "state", max_bars=1_200)
    assert second.strategy.resume_after(published) == published
    second.run()
    assert _decided(second) == [k for k in expected if k[1] > cut]
