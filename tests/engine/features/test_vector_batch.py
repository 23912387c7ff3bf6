"""The batch feature kernel with local state (``engine.features.vector_batch``) against the per-bar step
kernel it replaces in ``compute_feature_matrix``: the same rows, extras, ready flags and final state, bit
for bit, on real series (with missing bars) and hypothesis-drawn bar streams, under several windows."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.features import vector_kernel as vk
from engine.features.vector import FeatureParams, _new_state
from engine.features.vector_batch import features_batch_local

PARAMS = [
    FeatureParams(),
    FeatureParams(
        return_lags=(1, 2, 3, 7), ema_fast=3, ema_slow=5, rsi_period=4, macd_fast=3, macd_slow=6,
        macd_signal=2, atr_period=3, vol_window=4, vol_lookback=6, volume_window=5, liquidity_fast=2,
        liquidity_slow=4,
    ),
]  # fmt: skip


def _both(cols, params):
    n = cols[0].shape[0]
    out = []
    for kernel in (vk.features_batch, features_batch_local):
        state, matrix, extras = _new_state(params), np.empty((n, vk.N_FEATURES)), np.empty((n, 4))
        kernel(state, *cols, matrix, extras)
        out.append((state, matrix, extras))
    return out


def _assert_same(cols, params) -> None:
    (s1, m1, e1), (s2, m2, e2) = _both(cols, params)
    assert m2.tobytes() == m1.tobytes()
    assert e2.tobytes() == e1.tobytes()
    assert s2.tobytes() == s1.tobytes()  # so a stream continued from either state stays identical


@pytest.mark.parametrize("params", PARAMS)
def test_local_state_kernel_equals_the_step_kernel_on_real_bars(bars, params):
    cols = [np.ascontiguousarray(bars[k]) for k in ("open", "high", "low", "close", "volume")]
    _assert_same(cols, params)
    rng = np.random.default_rng(3)
    gaps = [c.copy() for c in cols]
    for c in gaps:  # missing bars (non-finite fields, non-positive closes)
        at = rng.choice(c.size, c.size // 50, replace=False)
        c[at] = rng.choice([np.nan, np.inf, -np.inf, 0.0, -1.0], at.size)
    _assert_same(gaps, params)


_special = st.sampled_from([np.nan, np.inf, -np.inf, 0.0, -1.0])
_close = st.one_of(st.floats(90.0, 110.0), st.just(100.0), _special)  # repeats: flat windows
_bar = st.tuples(
    st.floats(-0.01, 0.01) | _special,  # open - close, relative
    st.floats(0.0, 0.02) | _special,  # high above the close, relative
    st.floats(0.0, 0.02),  # low below the close, relative
    _close,
    st.floats(0.0, 1e6) | st.just(0.0) | _special,  # volume
)


@settings(max_examples=150, deadline=None)
@given(bars=st.lists(_bar, max_size=80), params=st.sampled_from(PARAMS))
def test_local_state_kernel_equals_the_step_kernel_on_drawn_streams(bars, params):
    a = np.asarray(bars, dtype=np.float64).reshape(-1, 5)
    close = a[:, 3]
    with np.errstate(all="ignore"):
        cols = [close * (1 + a[:, 0]), close * (1 + a[:, 1]), close * (1 - a[:, 2]), close, a[:, 4]]
        _assert_same([np.ascontiguousarray(c) for c in cols], params)


def test_cache_guard_stamp_tracks_the_batch_kernel_sources() -> None:
    here = Path(vk.__file__).resolve().parent
    names = ("kernels.py", "rolling_kernels.py", "vector_kernel.py")
    digest = hashlib.sha256(b"".join((here / n).read_bytes() for n in names))
    stamp = Path(features_batch_local._cache._cache_path) / "vector_batch.deps"
    assert stamp.read_text() == digest.hexdigest()
