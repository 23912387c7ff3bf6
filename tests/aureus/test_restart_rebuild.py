"""Restart reconciliation: the state of every open position is rebuilt from the Nautilus cache alone."""

import math
from pathlib import Path

import pytest
from strategy_harness import Harness

from strategies.order_ids import purpose_of
from strategies.reconcile import rebuild_position


@pytest.fixture(scope="module")
def two_instruments(tmp_path_factory) -> Path:
    from adapters.synthetic import synthesize

    path = tmp_path_factory.mktemp("synth") / "rec"
    synthesize(7, path, days=2, n_instruments=2)
    return path


def _run_until_positions_are_open(data: Path, state: Path) -> Harness:
    """Stop the replay at the first bar count where a position is open and its stop has trailed."""
    for max_bars in (1_500, 2_000, 2_500, 3_000, 4_000):
        # spot shorting on, as the scenario was written: it needs a position with a trailed stop early on
        harness = Harness(data, state / str(max_bars), "shorting.spot=true", max_bars=max_bars)
        harness.engine.add_data([harness.converters[b.instrument](b) for b in harness.bars])
        harness.engine.run()  # no end(): the node is "killed" with its cache as it is
        open_ = harness.engine.cache.positions_open()
        if open_ and harness.strategy.journal.counters["stop_trails"] > 0:
            return harness
    pytest.fail("no open position with a trailed stop in the first 4,000 bars")


def test_every_open_position_is_rebuilt_from_the_cache(two_instruments, tmp_path):
    harness = _run_until_positions_are_open(two_instruments, tmp_path)
    strategy, cache = harness.strategy, harness.engine.cache
    trailing_atr = harness.cfg.policy.stop_multipliers.trailing

    rebuilt_any = 0
    for instrument_id, st in strategy._state.items():
        rebuilt = rebuild_position(cache, strategy.id, instrument_id, trailing_atr=trailing_atr)
        if not cache.positions_open(instrument_id=instrument_id):
            assert rebuilt is None
            continue
        rebuilt_any += 1
        assert rebuilt.entry == st.entry  # sizes, reason tags, mode, route, ATR: from the entry order's tag
        assert rebuilt.route == st.route
        assert rebuilt.entry_atr == st.entry_atr
        live_stop = st.stop_order
        assert (rebuilt.stop_order is None) == (
            live_stop is None or cache.order(live_stop.client_order_id).is_closed
        )
        if rebuilt.stop_order is not None:
            assert rebuilt.stop_order.client_order_id == live_stop.client_order_id
            assert purpose_of(rebuilt.stop_order.client_order_id) == "stop"
            position = cache.positions_open(instrument_id=instrument_id)[0]
            sign = 1 if position.is_long else -1
            # the rebuilt high-water mark is what the stop proves: never beyond the real one, and the
            # trailing rule applied to it never moves the stop (not activated, or candidate not past it)
            assert sign * (st.best_close - rebuilt.best_close) >= -1e-9
            distance = trailing_atr * rebuilt.entry_atr
            if sign * (rebuilt.best_close - position.avg_px_open) >= distance:
                candidate = rebuilt.best_close - sign * distance
                assert sign * (candidate - rebuilt.stop_order.trigger_price.as_double()) <= 1e-9
        assert math.isfinite(rebuilt.last_price) and rebuilt.last_price > 0
    assert rebuilt_any >= 1


def test_a_restarted_strategy_takes_the_rebuilt_state(two_instruments, tmp_path):
    harness = _run_until_positions_are_open(two_instruments, tmp_path)
    strategy = harness.strategy
    before = {
        i: (st.entry, st.route, st.entry_atr) for i, st in strategy._state.items() if st.entry is not None
    }
    for st in strategy._state.values():  # what kill -9 loses: everything in memory
        st.entry = st.stop_order = st.route = None
        st.best_close = st.entry_atr = math.nan

    strategy._rebuild_from_cache()

    after = {
        i: (st.entry, st.route, st.entry_atr) for i, st in strategy._state.items() if st.entry is not None
    }
    assert after == before and after
    assert strategy.journal.counters["positions_rebuilt"] == len(harness.engine.cache.positions_open())
    assert all(st.stop_order is not None for i, st in strategy._state.items() if i in after)


def test_an_order_already_in_the_cache_is_never_sent_again(two_instruments, tmp_path):
    """After kill -9 the node decides the same bar again: the same deterministic id is found in the cache."""
    harness = _run_until_positions_are_open(two_instruments, tmp_path)
    strategy, cache = harness.strategy, harness.engine.cache
    entries = [o for o in cache.orders() if purpose_of(o.client_order_id) == "entry"]
    assert entries
    orders_before = len(cache.orders())

    for order in entries:
        ts = int(order.client_order_id.value.split("-")[1]) * 1_000_000
        assert strategy._order_id(order.instrument_id, ts, "entry") is None

    assert strategy.journal.counters["orders_already_sent"] == len(entries)
    assert len(cache.orders()) == orders_before
    fresh = strategy._order_id(entries[0].instrument_id, 12_345_000_000, "entry")
    assert fresh is not None and cache.order(fresh) is None
