"""Leakage properties of the purged K-fold and the walk-forward folds."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.research.errors import SplitError
from engine.research.splits import purged_kfold, time_blocks, walk_forward, windows_disjoint


@st.composite
def rows(draw):
    """Sorted row times with gaps and repeated timestamps, and label windows of varying length."""
    n = draw(st.integers(min_value=40, max_value=300))
    steps = draw(st.lists(st.integers(min_value=0, max_value=5), min_size=n, max_size=n))
    ts = np.cumsum(np.array(steps, dtype=np.int64)) * 60
    horizon = draw(st.lists(st.integers(min_value=0, max_value=20), min_size=n, max_size=n))
    end = ts + np.array(horizon, dtype=np.int64) * 60
    return ts, end


def _overlap_brute(ts, end, a, b) -> bool:
    for i in a:
        for j in b:
            if ts[i] <= end[j] and ts[j] <= end[i]:
                return True
    return False


@settings(max_examples=60, deadline=None)
@given(rows(), st.integers(min_value=2, max_value=6), st.integers(min_value=0, max_value=600))
def test_purged_kfold_train_label_windows_never_touch_test_windows(data, n_splits, embargo):
    ts, end = data
    try:
        splits = purged_kfold(ts, end, n_splits, embargo)
    except SplitError:
        return  # too few distinct times or everything purged: refused, never leaked
    for train, test in splits:
        assert np.intersect1d(train, test).size == 0
        assert not _overlap_brute(ts, end, train, test)
        # no training label window contains the time of any test sample
        for j in test:
            assert not np.any((ts[train] <= ts[j]) & (end[train] >= ts[j]))
        # embargo: nothing trains in the embargo after the test block
        last = ts[test].max()
        assert not np.any((ts[train] > last) & (ts[train] <= last + embargo))


@settings(max_examples=60, deadline=None)
@given(
    rows(),
    st.integers(min_value=1, max_value=4),
    st.integers(min_value=1, max_value=3),
    st.sampled_from(["expanding", "rolling"]),
)
def test_walk_forward_segments_are_ordered_and_leakage_free(data, n_folds, search_blocks, mode):
    ts, end = data
    try:
        folds = walk_forward(ts, end, n_folds=n_folds, search_blocks=search_blocks, mode=mode)
    except SplitError:
        return
    assert len(folds) == n_folds
    for fold in folds:
        s, v, o = fold.search, fold.validation, fold.oos
        assert ts[s].max() < ts[v].min() and ts[v].max() < ts[o].min()
        assert not _overlap_brute(ts, end, s, v)
        assert not _overlap_brute(ts, end, s, o)
        assert not _overlap_brute(ts, end, v, o)
        assert windows_disjoint(ts, end, s, np.concatenate([v, o]))
    oos = np.concatenate([f.oos for f in folds])
    assert np.unique(oos).size == oos.size  # each OOS row is predicted once


@settings(max_examples=60, deadline=None)
@given(rows(), rows())
def test_windows_disjoint_agrees_with_brute_force(first, second):
    ts = np.concatenate([first[0], second[0]])
    end = np.concatenate([first[1], second[1]])
    a = np.arange(first[0].size)
    b = np.arange(first[0].size, ts.size)
    assert windows_disjoint(ts, end, a, b) == (not _overlap_brute(ts, end, a, b))


def test_time_blocks_never_split_a_timestamp():
    ts = np.array([0, 0, 0, 60, 60, 120, 120, 120, 180, 240], dtype=np.int64)
    blocks = time_blocks(ts, 3)
    for t in np.unique(ts):
        assert np.unique(blocks[ts == t]).size == 1
    assert np.all(np.diff(blocks) >= 0) and blocks[-1] == 2


def test_unsorted_or_inverted_windows_are_refused():
    with pytest.raises(SplitError, match="sorted"):
        purged_kfold(np.array([2, 1, 3]), np.array([2, 1, 3]), 2, 0)
    with pytest.raises(SplitError, match="ends before"):
        walk_forward(np.arange(10), np.arange(10) - 1, n_folds=1, search_blocks=1)
