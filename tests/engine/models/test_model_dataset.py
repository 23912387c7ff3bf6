"""Labels, row filtering and the time-ordered split with a gap (engine.models.dataset)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.models.dataset import (
    label_instrument,
    stack_in_time_order,
    time_split,
    up_move_labels,
)
from engine.models.errors import DatasetError

MINUTE = 60_000_000_000


def test_up_move_labels_marks_strict_rises_and_the_unavailable_tail():
    close = np.array([1.0, 2.0, 2.0, 1.0, 3.0])

    labels, available = up_move_labels(close, 2)

    assert labels.tolist() == [1, 0, 1, 0, 0]
    assert available.tolist() == [True, True, True, False, False]


def test_label_instrument_drops_warmup_and_tail_rows():
    n = 10
    features = np.arange(n * 2, dtype=np.float64).reshape(n, 2)
    features[:3] = np.nan
    close = np.arange(n, dtype=np.float64)
    ts = np.arange(n, dtype=np.int64) * MINUTE

    rows = label_instrument(features, close, ts, 4, instrument=1)

    assert rows.ts.tolist() == (np.arange(3, 6) * MINUTE).tolist()
    assert rows.label_end_ts.tolist() == (np.arange(7, 10) * MINUTE).tolist()
    assert rows.labels.tolist() == [1, 1, 1]
    assert set(rows.instrument.tolist()) == {1}


def _instrument_rows(n: int, horizon: int, start: int, gaps: list[int], index: int, seed: int):
    rng = np.random.default_rng(seed)
    steps = np.ones(n, dtype=np.int64)
    for g in gaps:
        steps[g % n] += 7  # missing bars: label windows span more wall time than horizon bars
    ts = (start + np.cumsum(steps)) * MINUTE
    close = 100 + np.cumsum(rng.normal(size=n))
    features = rng.normal(size=(n, 3))
    features[:5] = np.nan
    return label_instrument(features, close, ts, horizon, index)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(80, 300),
    horizon=st.integers(1, 30),
    fraction=st.floats(0.2, 0.8),
    offsets=st.lists(st.integers(0, 40), min_size=1, max_size=4),
    gaps=st.lists(st.integers(0, 299), max_size=5),
)
def test_no_training_label_window_reaches_the_validation_period(n, horizon, fraction, offsets, gaps):
    parts = [_instrument_rows(n, horizon, off, gaps, i, i) for i, off in enumerate(offsets)]
    rows = stack_in_time_order(parts)

    try:
        split = time_split(rows, train_fraction=fraction, gap_bars=horizon, interval_ns=MINUTE)
    except DatasetError:
        return  # too little data for a validation period after the gap: refused, never leaked

    train_label_end = rows.label_end_ts[split.train_index].max()
    valid_ts = rows.ts[split.valid_index]
    assert train_label_end < valid_ts.min()
    assert split.valid_start_ns == valid_ts.min()
    assert rows.ts[split.train_index].max() == split.train_end_ns
    assert split.valid_start_ns - split.train_end_ns > horizon * MINUTE
    assert np.intersect1d(split.train_index, split.valid_index).size == 0
    assert np.all(np.diff(rows.ts) >= 0)


def test_split_puts_about_the_requested_fraction_in_training_and_removes_the_gap():
    parts = [_instrument_rows(1000, 60, 0, [], i, i) for i in range(3)]
    rows = stack_in_time_order(parts)

    split = time_split(rows, train_fraction=0.7, gap_bars=60, interval_ns=MINUTE)

    assert split.train_index.size == pytest.approx(0.7 * len(rows), abs=3)
    dropped = len(rows) - split.train_index.size - split.valid_index.size
    assert dropped == 3 * 60  # 60 bars of each instrument fall in the gap
    assert split.gap_bars == 60


def test_split_without_room_for_validation_is_refused():
    rows = stack_in_time_order([_instrument_rows(40, 30, 0, [], 0, 0)])

    with pytest.raises(DatasetError, match="validation set is empty"):
        time_split(rows, train_fraction=0.7, gap_bars=30, interval_ns=MINUTE)


def test_label_horizon_must_be_positive():
    with pytest.raises(DatasetError):
        up_move_labels(np.ones(5), 0)
