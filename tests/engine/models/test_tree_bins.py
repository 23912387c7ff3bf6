"""The binned layout's threshold search (halve, then count a short run) against ``np.searchsorted``."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit

from engine.models.tree_bins import _COUNTED_RUN, bin_exit_masks


@njit(cache=False)
def _bin_of(v, bounds):
    # one feature, one "tree" whose table row b holds b (row 0: all ones), so the exit mask is the bin
    n = bounds.shape[0]
    table = np.empty((n + 2, 1), dtype=np.uint64)
    table[0, 0] = ~np.uint64(0)
    for r in range(1, n + 2):
        table[r, 0] = r
    alive = np.empty(1, dtype=np.uint64)
    x = np.empty(1, dtype=bounds.dtype)
    x[0] = v
    bin_exit_masks(x, alive, bounds, np.array([0, n]), np.array([0]), table)
    return 0 if alive[0] == ~np.uint64(0) else np.int64(alive[0])


@settings(max_examples=200, deadline=None)
@given(
    size=st.sampled_from([0, 1, 2, _COUNTED_RUN - 1, _COUNTED_RUN, _COUNTED_RUN + 1, 3 * _COUNTED_RUN + 7]),
    seed=st.integers(0, 2**32 - 1),
    scale=st.sampled_from([1e-30, 1e-3, 1.0, 1e6, 1e30]),
    extra=st.lists(
        st.one_of(st.floats(width=32), st.sampled_from([np.inf, -np.inf, -0.0, 0.0, np.nan])), max_size=4
    ),
)
def test_bin_is_the_count_of_thresholds_below_the_value(size, seed, scale, extra):
    rng = np.random.default_rng(seed)
    b32 = np.unique((rng.standard_normal(size) * scale).astype(np.float32))
    # every threshold, its neighbours either side, and a few other values
    values = [*np.float32(extra), *b32, *np.nextafter(b32, np.float32(np.inf)), *np.nextafter(b32, -np.inf)]
    for v in values:
        want = b32.size + 1 if np.isnan(v) else int(np.searchsorted(b32, v, side="left"))
        assert _bin_of(v, b32) == want
        assert _bin_of(np.float64(v), b32.astype(np.float64)) == want  # the fused step's float64 packing
