"""QuickScorer with the per-feature scans precomputed: one table row of tree masks per threshold bin.

In :mod:`engine.models.tree_quickscorer` a row clears, feature by feature, the masks of a prefix of
that feature's threshold-sorted nodes. The prefix depends only on how many distinct thresholds lie
below the value (its bin), so the AND of that prefix's masks can be computed once per (feature, bin)
for every tree: a row then costs one search per feature (halvings down to ``_COUNTED_RUN``
thresholds, then a count of those below; float32 comparisons, the tree's own) and one vectorisable
AND of a table row into the trees' masks, instead of a few thousand scattered ANDs. A NaN uses the
feature's extra row: the masks of its nodes whose missing value does not take the true branch. Masks
are stored in the narrowest unsigned type holding every tree's leaves. The table is only built when it
stays under ``MAX_TABLE_BYTES``; the plain layout is used otherwise.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numba import njit

from engine.features._cache_guard import flush_if_dependencies_changed
from engine.models.tree_quickscorer import QuickScorerLayout, lowest_bit

MAX_TABLE_BYTES = 64 * 1024 * 1024


class BinTable:
    """Per feature: its distinct thresholds (ascending) and table rows (bin 0..n, then the NaN row).

    Attributes
    ----------
    bounds : float32, distinct thresholds of every feature, concatenated
    bound_offsets : int32 ``(F + 1,)`` into ``bounds``
    row_offsets : int32 ``(F,)`` first table row of a feature (its bin 0, all ones)
    table : unsigned ``(rows, n_trees)`` tree masks
    """

    def __init__(self, bounds, bound_offsets, row_offsets, table) -> None:
        self.bounds = bounds
        self.bound_offsets = bound_offsets
        self.row_offsets = row_offsets
        self.table = table


def _mask_dtype(max_leaves: int):
    for dtype, bits in ((np.uint8, 8), (np.uint16, 16), (np.uint32, 32)):
        if max_leaves <= bits:
            return dtype
    return np.uint64


def build_bin_table(layout: QuickScorerLayout) -> BinTable | None:
    """The table of ``layout``, or None when it would exceed ``MAX_TABLE_BYTES``."""
    n_trees = layout.leaf_offsets.size - 1
    n_features = layout.offsets.size - 1
    dtype = _mask_dtype(int(np.diff(layout.leaf_offsets).max(initial=1)))
    width = np.dtype(dtype).itemsize * 8
    keep = np.uint64((1 << width) - 1)
    n_rows = sum(
        np.unique(layout.thresholds[layout.offsets[f] : layout.offsets[f + 1]]).size + 2
        for f in range(n_features)
    )
    if n_rows * n_trees * np.dtype(dtype).itemsize > MAX_TABLE_BYTES:
        return None
    table = np.empty((n_rows, n_trees), dtype=dtype)
    bounds, bound_offsets, row_offsets = [], [0], []
    r = 0
    for f in range(n_features):
        lo, hi = int(layout.offsets[f]), int(layout.offsets[f + 1])
        thr, trees, masks = layout.thresholds[lo:hi], layout.trees[lo:hi], layout.masks[lo:hi] & keep
        row_offsets.append(r)
        current = np.full(n_trees, keep, dtype=np.uint64)
        table[r] = current
        r += 1
        j = 0
        while j < hi - lo:  # bin b + 1: every node whose threshold is one of the b + 1 smallest
            k = j
            while k < hi - lo and thr[k] == thr[j]:
                current[trees[k]] &= masks[k]
                k += 1
            bounds.append(thr[j])
            table[r] = current
            r += 1
            j = k
        bound_offsets.append(len(bounds))
        nan_row = np.full(n_trees, keep, dtype=np.uint64)
        for k in np.flatnonzero(layout.missing_true[lo:hi] == 0):
            nan_row[trees[k]] &= masks[k]
        table[r] = nan_row
        r += 1
    return BinTable(
        np.asarray(bounds, dtype=np.float32),
        np.asarray(bound_offsets, dtype=np.int32),
        np.asarray(row_offsets, dtype=np.int32),
        table,
    )


_COUNTED_RUN = 64  # bin_exit_masks' search counts a run of at most this many thresholds


@njit(cache=True, inline="always")
def bin_exit_masks(x, alive, bounds, bound_offsets, row_offsets, table):
    """The trees' masks of leaves the float32 row ``x`` can reach (see the module docstring).

    ``x`` and ``bounds`` may also be float64 arrays holding float32 values (the comparisons are then
    exact all the same), and the offsets float64 arrays holding integers (the fused step's packing).
    """
    everything = table[np.int64(row_offsets[0])]  # bin 0 of any feature: all leaves
    for t in range(alive.shape[0]):  # a loop: numba's alive[:] = ... took ~0.1 µs more (row of 400)
        alive[t] = everything[t]
    for f in range(x.shape[0]):
        v = x[f]
        lo = np.int64(bound_offsets[f])
        n = np.int64(bound_offsets[f + 1]) - lo
        if np.isnan(v):
            b = n + 1
        else:  # distinct thresholds < v: the false nodes of this feature
            a, z = 0, n  # bounds[lo + k] < v for k < a, >= v for k >= z
            while z - a > _COUNTED_RUN:
                mid = (a + z) >> 1
                if bounds[lo + mid] < v:
                    a = mid + 1
                else:
                    z = mid
            # then count the rest: branch-free and vectorised (unsigned: no wraparound code), ~3x
            # faster than the unpredictable last halvings
            c = np.uint64(0)
            for k in range(np.uint64(lo + a), np.uint64(lo + z)):
                c += np.uint64(bounds[k] < v)
            b = a + np.int64(c)
        if b == 0:
            continue
        row = table[np.int64(row_offsets[f]) + b]
        for t in range(alive.shape[0]):
            alive[t] &= row[t]


@njit(cache=True, inline="always")
def _leaf_weight(alive, leaf_offsets, leaf_weights, t):
    # unsigned indices: numba adds no negative-index wraparound to the loads (the sums ran ~30 % faster);
    # the casts also read float64 arrays holding the integer offsets and the float32 weights
    i = np.uint64(np.int64(leaf_offsets[t])) + np.uint64(lowest_bit(alive[t]))
    return np.float32(leaf_weights[i])


@njit(cache=True, inline="always")
def bin_tree_sum(alive, leaf_offsets, leaf_weights, lo, hi):
    """float32 sum, in tree order, of the exit leaves' weights of trees ``lo:hi``."""
    s = np.float32(0.0)
    for t in range(np.uint64(lo), np.uint64(max(hi, lo))):
        s += _leaf_weight(alive, leaf_offsets, leaf_weights, t)
    return s


@njit(cache=True, inline="always")
def bin_tree_sum2(alive, leaf_offsets, leaf_weights, lo0, hi0, lo1, hi1):
    """:func:`bin_tree_sum` of trees ``lo0:hi0`` and of trees ``lo1:hi1`` (two models), in one loop.

    Each sum still adds its own trees in tree order, so both are bit for bit the sequential sums; the
    CPU overlaps the two float32 dependency chains. The longer range's extra trees are added after.
    """
    s0 = np.float32(0.0)
    s1 = np.float32(0.0)
    a0, a1 = np.uint64(lo0), np.uint64(lo1)
    n = np.uint64(max(min(hi0 - lo0, hi1 - lo1), 0))
    for k in range(n):
        s0 += _leaf_weight(alive, leaf_offsets, leaf_weights, a0 + k)
        s1 += _leaf_weight(alive, leaf_offsets, leaf_weights, a1 + k)
    for t in range(a0 + n, np.uint64(max(hi0, lo0))):
        s0 += _leaf_weight(alive, leaf_offsets, leaf_weights, t)
    for t in range(a1 + n, np.uint64(max(hi1, lo1))):
        s1 += _leaf_weight(alive, leaf_offsets, leaf_weights, t)
    return s0, s1


# bin_tree_sum inlines tree_quickscorer.lowest_bit; numba's cache only watches this file.
flush_if_dependencies_changed(
    globals(), [Path(__file__).resolve().parent / "tree_quickscorer.py"], tag="tree_bins"
)
