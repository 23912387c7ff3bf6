"""One portfolio step per timestamp: the arrival order of one timestamp's bars never changes the outputs.

The backtest engine sorts data by ``ts_init`` with a stable sort, so bars with equal timestamps reach the
strategy in the order they were added: shuffling them within each timestamp changes the arrival order,
which the test observes on the strategy itself before comparing every output stream byte for byte.
"""

import math
import random
from pathlib import Path

import msgspec
import pytest
from strategy_harness import Harness


@pytest.fixture(scope="module")
def four_instruments(tmp_path_factory) -> Path:
    from adapters.synthetic import synthesize

    path = tmp_path_factory.mktemp("synth") / "rec"
    synthesize(5, path, days=2, n_instruments=4)
    return path


def _replay_with_order(data: Path, out: Path, reorder):
    harness = Harness(data, out / "state")
    arrivals: list[tuple[int, str]] = []
    on_bar = harness.strategy.on_bar

    def recording_on_bar(bar):
        arrivals.append((bar.ts_event, bar.bar_type.instrument_id.value))
        on_bar(bar)

    harness.strategy.on_bar = recording_on_bar
    harness.run(reorder)
    return harness.streams(), arrivals, harness.strategy


def test_shuffled_arrival_within_each_timestamp_gives_identical_outputs(four_instruments, tmp_path):
    rng = random.Random(3)

    def shuffled(group):
        rng.shuffle(group)
        return group

    ordered, arrivals_a, _ = _replay_with_order(four_instruments, tmp_path / "a", lambda g: g)
    reversed_, arrivals_b, _ = _replay_with_order(four_instruments, tmp_path / "b", lambda g: g[::-1])
    random_, arrivals_c, _ = _replay_with_order(four_instruments, tmp_path / "c", shuffled)

    assert arrivals_a != arrivals_b and arrivals_a != arrivals_c  # the strategy really saw other orders
    assert sorted(arrivals_a) == sorted(arrivals_b) == sorted(arrivals_c)
    assert {"signals", "orders", "fills", "trades", "equity"} <= ordered.keys()
    for channel in ordered:
        assert reversed_[channel] == ordered[channel], channel
        assert random_[channel] == ordered[channel], channel
    trades = ordered["trades"].splitlines()
    assert len(trades) > 0 and len({msgspec.json.decode(t)["symbol"] for t in trades}) > 1


def test_correlation_to_a_reference_that_arrives_last_is_computed(four_instruments, tmp_path):
    """The reference instrument (the first spec) arriving last at every timestamp must still feed every
    other instrument's correlation (the old per-bar design left them NaN for the whole run)."""
    _, arrivals, strategy = _replay_with_order(four_instruments, tmp_path / "r", lambda g: g[::-1])
    reference = strategy._reference
    first_ts = arrivals[0][0]
    assert [i for ts, i in arrivals if ts == first_ts][-1] == reference
    correlations = {i.value: st.corr.value for i, st in strategy._state.items() if i.value != reference}
    assert len(correlations) == 3
    assert all(math.isfinite(c) and -1.0 <= c <= 1.0 for c in correlations.values()), correlations


def test_missing_bars_are_stepped_after_the_grace_period_in_any_order(four_instruments, tmp_path):
    """One instrument is silent for an hour: its timestamps still get one step each (on the grace timer or
    the next bar), the outputs do not depend on arrival order, and nothing is counted late."""

    def with_gap(harness: Harness) -> Harness:
        silent = sorted({b.instrument for b in harness.bars})[-1]
        start = harness.bars[0].ts_event + 120 * 60_000_000_000
        harness.bars = [
            b
            for b in harness.bars
            if not (b.instrument == silent and start <= b.ts_event < start + 3_600_000_000_000)
        ]
        return harness

    runs = []
    for name, reorder in (("a", lambda g: g), ("b", lambda g: g[::-1])):
        harness = with_gap(Harness(four_instruments, tmp_path / name / "state"))
        harness.run(reorder)
        runs.append(harness)

    timestamps = sorted({b.ts_event for b in runs[0].bars})
    assert [row.ts for row in runs[0].sink.get("equity")] == timestamps
    assert runs[0].streams() == runs[1].streams()
    assert runs[0].strategy.journal.counters["late_bars"] == 0


def test_a_late_bar_is_decided_on_its_own_and_counted(four_instruments, tmp_path):
    """Live only (a backtest sorts its data): a bar for a timestamp already stepped without it gets its own
    decision and is counted; a bar older than its instrument's own last bar is refused and counted."""
    from nautilus_trader.model.data import Bar as NautilusBar

    harness = Harness(four_instruments, tmp_path / "state", max_bars=4 * 600)
    late_instrument = sorted({b.instrument for b in harness.bars})[-1]
    last_two = sorted({b.ts_event for b in harness.bars})[-2:]
    held_back = [b for b in harness.bars if b.instrument == late_instrument and b.ts_event in last_two]
    harness.bars = [b for b in harness.bars if b not in held_back]  # the feed of one instrument lags
    harness.run()
    strategy = harness.strategy
    stepped = [row.ts for row in harness.sink.get("equity")]
    assert stepped[-2:] == last_two  # both stepped without it (grace timer, end of data)
    decisions_before = len(harness.sink.get("signals"))
    assert decisions_before > 0 and not strategy.risk.halted

    late = held_back[0]
    strategy.on_bar(harness.converters[late.instrument](late))

    assert strategy.journal.counters["late_bars"] == 1
    new = harness.sink.get("signals")[decisions_before:]
    assert [(d.instrument, d.ts_event) for d in new] == [(late.instrument, late.ts_event)]
    assert [row.ts for row in harness.sink.get("equity")] == stepped  # no step, no equity row for it
    bar = harness.converters[late.instrument](late)
    stale = NautilusBar(bar.bar_type, bar.open, bar.high, bar.low, bar.close, bar.volume, 60, 60)
    strategy.on_bar(stale)
    assert strategy.journal.counters["out_of_order_bars"] == 1
    assert len(harness.sink.get("signals")) == decisions_before + 1
