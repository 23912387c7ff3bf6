"""A one-instrument portfolio skips the timestamp batch: each of its bars is its timestamp's whole batch, so
the portfolio step runs on the bar itself. That path must give exactly what the batched path gives, stale
and repeated bars included (the batch would call them late; their instrument refuses them as out of order).
"""

from pathlib import Path

import pytest
from strategy_harness import Harness


@pytest.fixture(scope="module")
def one_instrument(tmp_path_factory) -> Path:
    from adapters.synthetic import synthesize

    path = tmp_path_factory.mktemp("synth1") / "rec"
    synthesize(11, path, days=3, n_instruments=1)
    return path


def _replay(data: Path, out: Path, *, one_instrument_path: bool):
    harness = Harness(data, out / "state")
    harness.strategy._one_instrument_path = one_instrument_path
    bars = harness.bars
    harness.bars = [*bars[:500], bars[499], *bars[500:]]  # one bar delivered twice
    harness.run()
    strategy = harness.strategy
    late = harness.converters[bars[0].instrument](bars[-2])  # after the run: older than the last bar
    strategy.on_bar(late)
    return harness, strategy


def test_one_instrument_path_gives_the_batched_paths_outputs(one_instrument, tmp_path):
    fast, fast_strategy = _replay(one_instrument, tmp_path / "fast", one_instrument_path=True)
    batched, batched_strategy = _replay(one_instrument, tmp_path / "batched", one_instrument_path=False)

    assert fast_strategy._only is not None and batched_strategy._only is None  # each took its own path
    streams = fast.streams()
    assert streams == batched.streams()
    assert {"signals", "orders", "fills", "trades", "equity"} <= streams.keys()
    assert len(fast.sink.get("equity")) == len({b.ts_event for b in fast.bars})  # one step per timestamp
    for strategy in (fast_strategy, batched_strategy):
        assert strategy.journal.counters["out_of_order_bars"] == 2  # the repeat and the late bar
        assert strategy.journal.counters["late_bars"] == 0
    assert fast_strategy.journal.counters == batched_strategy.journal.counters
    assert fast_strategy.journal.bars == batched_strategy.journal.bars == len(fast.bars) - 1
