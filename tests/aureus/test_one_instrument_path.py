"""A one-instrument portfolio skips the timestamp batch: each of its bars is its timestamp's whole batch, so
the portfolio step runs on the bar itself. That path must give exactly what the batched path and
the general step give, stale and repeated bars included (the batch would call them late; their instrument
refuses them as out of order), through kills and a restart from a decided mark.
"""

from pathlib import Path

import pytest
from strategy_harness import Harness

# a tight kill switch, large positions and shorts: kills, flattens and halted days on three synthetic days
KILLS = ("risk.caps.per_name_pct.core=20", "risk.kill_switch.daily_loss_pct=0.1", "shorting.spot=true")


@pytest.fixture(scope="module")
def one_instrument(tmp_path_factory) -> Path:
    from adapters.synthetic import synthesize

    path = tmp_path_factory.mktemp("synth1") / "rec"
    synthesize(11, path, days=3, n_instruments=1)
    return path


def _replay(data: Path, out: Path, overrides, *, one_instrument_path: bool):
    harness = Harness(data, out / "state", *overrides)
    harness.strategy._one_instrument_path = one_instrument_path
    bars = harness.bars
    harness.bars = [*bars[:500], bars[499], *bars[500:]]  # one bar delivered twice
    harness.run()
    strategy = harness.strategy
    late = harness.converters[bars[0].instrument](bars[-2])  # after the run: older than the last bar
    strategy.on_bar(late)
    return harness, strategy


@pytest.mark.parametrize("overrides", [(), KILLS], ids=["default", "kills"])
def test_one_instrument_path_gives_the_batched_paths_outputs(one_instrument, tmp_path, overrides):
    fast, fast_strategy = _replay(one_instrument, tmp_path / "fast", overrides, one_instrument_path=True)
    batched, batched_strategy = _replay(
        one_instrument, tmp_path / "batched", overrides, one_instrument_path=False
    )

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
    if overrides:
        assert fast_strategy.risk.supervisor.state.activations > 0  # the kill switch fired


def test_one_instrument_restart_from_a_decided_mark_matches_the_batched_path(one_instrument, tmp_path):
    outputs = []
    for name, fast in (("fast", True), ("batched", False)):
        first = Harness(one_instrument, tmp_path / name / "state", max_bars=900)
        first.strategy._one_instrument_path = fast
        first.run()
        first.strategy.commit_decided()  # the daemon's barrier: every bar so far was decided
        again = Harness(one_instrument, tmp_path / name / "state", max_bars=1_500)
        again.strategy._one_instrument_path = fast
        again.run()
        assert again.strategy.journal.counters["bars_replayed_not_decided"] == 900
        outputs.append(again.streams())
    assert outputs[0] == outputs[1]
    assert outputs[0]["signals"].count(b"\n") == 600  # only the bars after the mark are decided
