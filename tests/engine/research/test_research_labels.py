"""First-touch labels: the numba kernel against a plain-Python reference, and the fee rule."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.research.kernels import first_touch
from engine.research.labels import LabelSpec, first_touch_labels, label_rows


def _reference(high, low, close, tp, sl, horizon):
    out, idx = [], []
    n = len(close)
    for t in range(n):
        if t + horizon >= n:
            out.append(0)
            idx.append(-1)
            continue
        upper, lower = close[t] * (1 + tp[t]), close[t] * (1 - sl[t])
        o, k = 0, t + horizon
        for j in range(t + 1, t + horizon + 1):
            if low[j] <= lower:
                o, k = 2, j
                break
            if high[j] >= upper:
                o, k = 1, j
                break
        out.append(o)
        idx.append(k)
    return np.array(out), np.array(idx)


@settings(max_examples=50, deadline=None)
@given(st.integers(min_value=0, max_value=10_000), st.integers(min_value=1, max_value=12))
def test_first_touch_matches_reference(seed, horizon):
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, 80)))
    high = close * (1 + rng.uniform(0, 0.01, 80))
    low = close * (1 - rng.uniform(0, 0.01, 80))
    tp = rng.uniform(0.001, 0.03, 80)
    sl = rng.uniform(0.001, 0.03, 80)
    got = first_touch(high, low, close, tp, sl, horizon)
    want = _reference(high, low, close, tp, sl, horizon)
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])


def test_bar_touching_both_barriers_counts_as_stop_and_fee_blocks_thin_targets():
    close = np.array([100.0, 100.0, 100.0, 100.0])
    high = np.array([100.0, 103.0, 100.0, 100.0])
    low = np.array([100.0, 97.0, 100.0, 100.0])
    outcome, _ = first_touch(high, low, close, np.full(4, 0.02), np.full(4, 0.02), 2)
    assert outcome[0] == 2  # both touched in bar 1: the stop is assumed first
    # take-profit touched first, but its distance (2.5 * 0.0006 = 0.15%) is below a 0.2% round trip
    high2 = np.array([100.0, 100.2, 100.0, 100.0])
    low2 = np.full(4, 99.99)
    spec = LabelSpec("p_touch", "first_touch", 2, take_profit_atr=2.5, stop_atr=1.8, round_trip_fee=0.002)
    labels, available, _ = first_touch_labels(high2, low2, close, np.full(4, 0.0006), spec)
    assert available[0] and labels[0] == 0
    cheap = LabelSpec("p_touch", "first_touch", 2, take_profit_atr=2.5, stop_atr=1.8, round_trip_fee=0.001)
    labels, _, _ = first_touch_labels(high2, low2, close, np.full(4, 0.0006), cheap)
    assert labels[0] == 1


def test_label_rows_window_covers_the_horizon_and_drops_unlabelled_tail():
    n = 10
    ts = np.arange(n, dtype=np.int64) * 60
    close = np.linspace(100, 110, n)
    spec = LabelSpec("p_touch", "first_touch", 3, take_profit_atr=1.0, stop_atr=1.0)
    rows = label_rows(spec, np.zeros((n, 2)), (ts, close + 1, close - 1, close), np.full(n, 0.005), 0)
    assert len(rows) == n - 3
    np.testing.assert_array_equal(rows.label_end_ts - rows.ts, np.full(n - 3, 180))


def test_short_first_touch_mirrors_the_long_one():
    rng = np.random.default_rng(5)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, 60)))
    high = close * (1 + rng.uniform(0, 0.01, 60))
    low = close * (1 - rng.uniform(0, 0.01, 60))
    tp = np.full(60, 0.012)
    sl = np.full(60, 0.008)
    close2 = np.array([100.0, 100.0, 98.0, 100.0])
    high2 = np.array([100.0, 100.5, 99.0, 100.0])
    low2 = np.array([100.0, 99.5, 97.0, 100.0])
    outcome, index = first_touch(high2, low2, close2, np.full(4, 0.02), np.full(4, 0.01), 2, -1)
    assert outcome[0] == 1 and index[0] == 2  # low 97 <= 98 (take-profit of a short) before high >= 101
    outcome, _ = first_touch(high2, low2, close2, np.full(4, 0.02), np.full(4, 0.004), 2, -1)
    assert outcome[0] == 2  # high 100.5 >= 100.4: the short's stop first
    long_out, _ = first_touch(high, low, close, tp, sl, 5, 1)
    short_out, _ = first_touch(high, low, close, tp, sl, 5, -1)
    assert not np.all(long_out == short_out)
