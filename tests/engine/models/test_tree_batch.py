"""The batch layout of the bin table (``engine.models.tree_batch``) against the row kernel it replaces in
``predict_batch``: the same bins, the same scores bit for bit, on real BTCUSDT rows, NaN rows,
hypothesis-drawn rows, tree chunks that split a model and on two threads; and the single-pass feature
matrix + extras against the two separate passes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.features.vector import (
    FeatureParams,
    compute_feature_extras,
    compute_feature_matrix,
    compute_features_and_extras,
)
from engine.models.tree_batch import BatchLayout
from engine.models.tree_numba import TreeBundleEvaluator
from engine.models.tree_program import compile_tree_model

SHIPPED = Path(__file__).resolve().parents[3] / "models" / "baseline"
BTC_CSV = Path("/work/shared/data/crypto_1m_2023-03_binanceus/BTCUSDT_1m_20230301_20230321.csv")


@pytest.fixture(scope="module")
def evaluator() -> TreeBundleEvaluator:
    programs = [
        compile_tree_model((SHIPPED / f"{n}.onnx").read_bytes(), "probabilities", 1)
        for n in ("p_short", "p_mid")
    ]
    ev = TreeBundleEvaluator(programs, 11, method="bins")
    assert ev.batch is not None
    return ev


@pytest.fixture(scope="module")
def bars() -> pd.DataFrame:
    return pd.read_csv(BTC_CSV)


@pytest.fixture(scope="module")
def btc_rows(bars) -> np.ndarray:
    x = compute_feature_matrix(bars.open, bars.high, bars.low, bars.close, bars.volume, FeatureParams())
    return np.ascontiguousarray(x[np.isfinite(x).all(axis=1)])


def _reference_rows(ev: TreeBundleEvaluator, x: np.ndarray) -> np.ndarray:
    # the row kernel's bin: the number of a feature's distinct thresholds below the float32 value
    b = ev.bins
    out = np.empty(x.shape, dtype=np.int64)
    with np.errstate(over="ignore"):
        x32 = x.astype(np.float32)
    for f in range(x.shape[1]):
        bounds = b.bounds[b.bound_offsets[f] : b.bound_offsets[f + 1]]
        col = np.searchsorted(bounds, x32[:, f], side="left")
        col[np.isnan(x32[:, f])] = bounds.size + 1
        out[:, f] = b.row_offsets[f] + col
    return out


def _check(ev: TreeBundleEvaluator, x: np.ndarray) -> None:
    want = ev.predict_batch_rowwise(x)
    assert np.array_equal(ev.batch.table_rows(x)[:, : x.shape[1]], _reference_rows(ev, x))
    for threads in (1, 2):
        assert np.array_equal(ev.predict_batch(x, threads), want, equal_nan=True)
    assert ev.predict_batch(x).tobytes() == want.tobytes()  # signed zeros included


def test_batch_layout_scores_every_real_btcusdt_row_like_the_row_kernel(evaluator, btc_rows):
    assert len(btc_rows) > 29_000
    _check(evaluator, btc_rows)
    for n in (0, 1, 3, 4, 5, 7):  # the four-row groups' tails
        _check(evaluator, btc_rows[:n])


def test_batch_layout_takes_each_features_nan_row(evaluator, btc_rows):
    x = btc_rows[:3_001].copy()
    rng = np.random.default_rng(11)
    x[rng.random(x.shape) < 0.3] = np.nan
    x[::50] = np.nan
    _check(evaluator, x)


def test_chunks_splitting_a_model_keep_the_tree_order(evaluator, btc_rows):
    ev = evaluator
    x = btc_rows[::7]
    want = ev.predict_batch_rowwise(x)
    for max_chunk in (1, 13, 64, 199):
        layout = BatchLayout(ev.bins, ev.layout, ev.meta, max_chunk=max_chunk)
        assert layout.chunks.shape[0] > 2
        for threads in (1, 2):
            out = np.empty_like(want)
            layout.score(np.ascontiguousarray(x), out, threads)
            assert out.tobytes() == want.tobytes()


def _thresholds(ev: TreeBundleEvaluator) -> list[float]:
    return np.unique(ev.bins.bounds).tolist()


@st.composite
def _rows(draw, thresholds):
    def value():
        t = draw(st.sampled_from(thresholds))
        return draw(
            st.one_of(
                st.sampled_from(
                    [
                        t,
                        float(np.nextafter(np.float32(t), np.float32(np.inf))),
                        float(np.nextafter(np.float32(t), np.float32(-np.inf))),
                        t * (1 + 1e-9),
                    ]
                ),
                st.sampled_from([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e300, -1e300, 1e-320]),
                st.floats(allow_nan=True, allow_infinity=True, width=64),
            )
        )

    n = draw(st.integers(0, 40))
    return np.asarray([[value() for _ in range(11)] for _ in range(n)], dtype=np.float64).reshape(n, 11)


def test_hypothesis_rows_score_like_the_row_kernel(evaluator):
    thresholds = _thresholds(evaluator)

    @settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(x=_rows(thresholds))
    def check(x):
        _check(evaluator, x)

    check()


def test_one_feature_pass_equals_the_matrix_and_the_extras(bars):
    rng = np.random.default_rng(5)
    cols = [bars[k].to_numpy(np.float64).copy() for k in ("open", "high", "low", "close", "volume")]
    gaps = [c.copy() for c in cols]
    for c in gaps:  # missing bars: the state is left untouched, the row is NaN
        c[rng.choice(c.size, c.size // 100, replace=False)] = np.nan
    for args in (cols, gaps):
        for params in (FeatureParams(), FeatureParams(ema_fast=5, vol_window=10, vol_lookback=50)):
            matrix, extras, ready = compute_features_and_extras(*args, params)
            assert matrix.tobytes() == compute_feature_matrix(*args, params).tobytes()
            assert np.ascontiguousarray(extras).tobytes() == compute_feature_extras(*args, params).tobytes()
            assert np.array_equal(ready, np.isfinite(matrix).all(axis=1))
            assert args is gaps or ready.sum() > 29_000


@pytest.mark.parametrize("n_fp", [4, 8, 12, 16, 24, 28])
def test_masks_are_the_and_of_every_feature_row_for_any_width(n_fp):
    from engine.models.tree_batch import _alive

    rng = np.random.default_rng(n_fp)
    table = rng.integers(0, 2**16, size=(50, 37), dtype=np.uint16) | rng.integers(
        0, 2**16, (50, 37), np.uint16
    )
    ix = rng.integers(0, 50, size=n_fp).astype(np.int32)
    got = np.empty(37, dtype=np.uint16)
    _alive(got, table, ix, n_fp, 37)
    assert np.array_equal(got, np.bitwise_and.reduce(table[ix], axis=0))


@pytest.mark.parametrize("dtype", [np.uint32, np.uint64])
def test_wider_mask_types_find_the_same_exit_leaves(evaluator, btc_rows, dtype):
    # the shipped trees' 16-bit masks widened with set high bits: the lowest set bit (the exit leaf)
    # is unchanged, so the scores must be too, with the leaf weights laid out at the wider stride
    ev = evaluator
    x = btc_rows[::5]
    want = ev.predict_batch_rowwise(x)
    wide = ev.bins.table.astype(dtype) | ~dtype(0xFFFF)
    bins = type(ev.bins)(ev.bins.bounds, ev.bins.bound_offsets, ev.bins.row_offsets, wide)
    layout = BatchLayout(bins, ev.layout, ev.meta)
    assert layout.tables.dtype == dtype and layout.leaf_pad.size == (ev.layout.leaf_offsets.size - 1) * (
        np.dtype(dtype).itemsize * 8
    )
    out = np.empty_like(want)
    layout.score(np.ascontiguousarray(x), out)
    assert out.tobytes() == want.tobytes()
