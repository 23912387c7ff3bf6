"""One portfolio step per timestamp: the arrival order of one timestamp's bars never changes the outputs.

The backtest engine sorts data by ``ts_init`` with a stable sort, so bars with equal timestamps reach the
strategy in the order they were added: shuffling them within each timestamp changes the arrival order,
which the test observes on the strategy itself before comparing every output stream byte for byte.
"""

import math
import random
from itertools import groupby
from pathlib import Path

import msgspec
import pytest

from adapters.recorded import open_recording
from aureus.replay import build_strategy, trading_state_setter
from aureus.runtime.backtest import bar_type_for, build_backtest_engine
from aureus.runtime.convert import BarConverter
from engine.config import load_config
from engine.sink import CollectingSink
from schemas.market import Bar

_JSON = msgspec.json.Encoder()


@pytest.fixture(scope="module")
def four_instruments(tmp_path_factory) -> Path:
    from adapters.synthetic import synthesize

    path = tmp_path_factory.mktemp("synth") / "rec"
    synthesize(5, path, days=2, n_instruments=4)
    return path


def _replay_with_order(data: Path, out: Path, reorder):
    cfg = load_config(overrides=["replay.progress=false"])
    recording = open_recording(data)
    specs = recording.verify().instruments
    engine = build_backtest_engine(cfg, specs)
    from adapters.state import EmbeddedFileStore

    sink = CollectingSink()
    strategy = build_strategy(cfg, specs, news=False, store=EmbeddedFileStore(out / "state"), sink=sink)
    engine.add_strategy(strategy)
    strategy.bind_trading_state(trading_state_setter(engine.kernel.risk_engine))
    arrivals: list[tuple[int, str]] = []
    on_bar = strategy.on_bar

    def recording_on_bar(bar):
        arrivals.append((bar.ts_event, bar.bar_type.instrument_id.value))
        on_bar(bar)

    strategy.on_bar = recording_on_bar
    converters = {s.instrument_id: BarConverter(bar_type_for(s), s) for s in specs}
    bars = [r.payload for r in recording.iter_all() if isinstance(r.payload, Bar)]
    fed = []
    for _, group in groupby(bars, key=lambda b: b.ts_event):
        fed.extend(reorder(list(group)))
    engine.add_data([converters[b.instrument](b) for b in fed])
    engine.run()
    engine.end()
    streams = {
        channel: b"".join(_JSON.encode(m) + b"\n" for m in messages)
        for channel, messages in sink.channels.items()
    }
    return streams, arrivals, strategy


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
