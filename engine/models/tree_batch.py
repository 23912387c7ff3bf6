"""Batch scoring of the binned QuickScorer table (``tree_bins``), laid out for many rows at once.

The per-row kernel of :mod:`engine.models.tree_numba` bins a row with 11 branchy binary searches and ANDs
one table row per feature into the masks of all trees. Scoring a matrix, the same leaves and the same
float32 sums are reached faster by changing only the order of the work:

* **Binning column by column**: each value's bin (the number of a feature's distinct thresholds below
  it) is counted branch-free in two vectorised steps, the 4-threshold block it falls in, then its
  place inside the block (thresholds padded with +inf, which no value exceeds). A count, not a search:
  the same bin as the binary search, NaN still taking the feature's extra row.
* **One model's trees per table** (``chunk``), so the table a loop reads stays in the L2 cache, and the
  AND of the per-feature rows taken four rows at a time (fewer store/reload round trips).
* **Sums unchanged**: every row's leaf weights are still added one by one in tree order in float32 (four
  rows in flight), so every score is bit-identical to the per-row kernel's and to onnxruntime's.
* **Exit leaves as bytes**: the four rows' exit-leaf numbers of a tree sit in one 32-bit word, and the
  weights are padded to one power-of-two stride per tree, so the adding loop makes one load per tree for
  the four leaf numbers instead of four (score_rows 7.4 -> 6.0 ms CPU on the BTCUSDT rows).

Rows are independent, so contiguous parts of a batch may be scored on several Python threads (the
kernels release the GIL) with the same results; the default is one thread. (numba's ``prange`` was not
used: its worker threads wait busily after a parallel region, which on a shared 2-core machine slowed the
single-threaded work that followed.)
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from numba import njit
from numba.core import types
from numba.extending import overload

from engine.features._cache_guard import flush_if_dependencies_changed
from engine.models.tree_numba import _output
from engine.models.tree_quickscorer import lowest_bit

BLOCK = 4  # thresholds per block of the two-step bin count (4-6 measured fastest, 16: 1.5x slower)
MIN_ROWS_PER_THREAD = 2048
_POOLS: dict[int, ThreadPoolExecutor] = {}
MAX_CHUNK = 256  # trees per table chunk
BIN_TILE = 1024  # rows binned at a time (1.42 vs 1.82 ms untiled; 512: 1.70, 4096: 1.50)


class BatchLayout:
    """The bin table re-laid for batches (see the module docstring); ``max_chunk`` trees per table.

    Attributes
    ----------
    fine : float32, each feature's distinct thresholds padded with +inf to whole blocks plus one block
    coarse : float32, the last threshold of each of those blocks (without the extra block)
    fine_off, coarse_off : int32 ``(F + 1,)`` offsets into ``fine`` and ``coarse``
    n_bounds : int32 ``(F,)`` distinct thresholds per feature
    row_off : int32 ``(F,)`` first table row of each feature (as ``BinTable.row_offsets``)
    ones_row : int, a table row of all ones (pads the features to a multiple of four)
    chunks : int32 ``(C, 3)``: first tree, number of trees, model
    tables : unsigned ``(C, rows, width)``: the chunk's trees' columns of the table, padded with ones
    leaf_pad : float32, tree t's leaf weights from ``t * bits`` (bits of the mask type), zero-padded
    """

    def __init__(self, bins, layout, meta: np.ndarray, max_chunk: int = MAX_CHUNK) -> None:
        n_features = bins.bound_offsets.size - 1
        fine, coarse, fine_off, coarse_off = [], [], [0], [0]
        for f in range(n_features):
            bounds = bins.bounds[bins.bound_offsets[f] : bins.bound_offsets[f + 1]]
            blocks = -(-bounds.size // BLOCK)
            padded = np.full((blocks + 1) * BLOCK, np.inf, dtype=np.float32)
            padded[: bounds.size] = bounds
            fine.append(padded)
            coarse.append(padded[BLOCK - 1 : blocks * BLOCK : BLOCK])
            fine_off.append(fine_off[-1] + padded.size)
            coarse_off.append(coarse_off[-1] + blocks)
        self.fine = np.concatenate(fine)
        self.coarse = np.concatenate(coarse).astype(np.float32)
        self.fine_off = np.asarray(fine_off, dtype=np.int32)
        self.coarse_off = np.asarray(coarse_off, dtype=np.int32)
        self.n_bounds = np.diff(bins.bound_offsets).astype(np.int32)
        self.row_off = np.asarray(bins.row_offsets, dtype=np.int32)
        self.ones_row = int(bins.row_offsets[0])  # bin 0 of a feature: no node is false
        self.n_features = n_features
        self.n_padded = -(-n_features // 4) * 4
        chunks = []
        for m in range(meta.shape[0]):
            t = int(meta[m, 0])
            while t < meta[m, 1]:
                w = min(max_chunk, int(meta[m, 1]) - t)
                chunks.append((t, w, m))
                t += w
        width = max((c[1] for c in chunks), default=1)
        table = bins.table
        ones = np.iinfo(table.dtype).max
        self.tables = np.full((len(chunks), table.shape[0], width), ones, dtype=table.dtype)
        for c, (t, w, _) in enumerate(chunks):
            self.tables[c, :, :w] = table[:, t : t + w]
        self.chunks = np.asarray(chunks, dtype=np.int32).reshape(-1, 3)
        self.leaf_off = layout.leaf_offsets
        self.leaf_w = layout.leaf_weights
        # tree t's leaf l at leaf_pad[t * stride + l]; stride = mask bits, so any lowest bit fits
        stride = table.dtype.itemsize * 8
        n_trees = self.leaf_off.size - 1
        self.leaf_pad = np.zeros(n_trees * stride, dtype=self.leaf_w.dtype)
        for t in range(n_trees):
            lo, hi = self.leaf_off[t], self.leaf_off[t + 1]
            self.leaf_pad[t * stride : t * stride + hi - lo] = self.leaf_w[lo:hi]
        self.meta = meta

    def table_rows(self, features: np.ndarray) -> np.ndarray:
        """``(N, n_padded)``: per row and feature, the table row of the value's bin; uint16 while the
        table's rows allow (half the int32 traffic: score_rows 6.6 -> 6.2 ms CPU on the BTCUSDT rows)."""
        dtype = np.uint16 if self.tables.shape[1] <= 1 << 16 else np.int32
        idx = np.empty((features.shape[0], self.n_padded), dtype=dtype)
        bin_rows(
            features, idx, self.fine, self.coarse, self.fine_off, self.coarse_off, self.n_bounds,
            self.row_off, self.ones_row,
        )  # fmt: skip
        return idx

    def score(self, features: np.ndarray, out: np.ndarray, threads: int = 1) -> None:
        """Scores of the float64 ``(N, F)`` ``features`` into ``out`` ``(N, n_models)``; on ``threads``
        threads, each scoring a contiguous part of the rows."""
        n = features.shape[0]
        parts = max(1, min(threads, n // MIN_ROWS_PER_THREAD))
        if parts == 1:
            self._score_part(features, out)
            return
        pool = _POOLS.get(parts)
        if pool is None:
            pool = _POOLS[parts] = ThreadPoolExecutor(parts, thread_name_prefix="tree-batch")
        bounds = np.linspace(0, n, parts + 1).astype(np.int64)
        jobs = [
            pool.submit(self._score_part, features[a:b], out[a:b])
            for a, b in zip(bounds[:-1], bounds[1:], strict=True)
        ]
        for job in jobs:
            job.result()

    def _score_part(self, features: np.ndarray, out: np.ndarray) -> None:
        idx = self.table_rows(features)
        score_rows(idx, out, self.meta, self.chunks, self.tables, self.leaf_pad, 0, idx.shape[0])


@njit(cache=True, nogil=True)
def bin_rows(features, idx, fine, coarse, fine_off, coarse_off, n_bounds, row_off, ones_row):
    # BIN_TILE rows at a time, so the block counts being summed over a feature's blocks stay in L1
    n, n_f = features.shape
    col = np.empty(BIN_TILE, dtype=np.float32)
    blk = np.empty(BIN_TILE, dtype=np.int32)
    for r0 in range(0, n, BIN_TILE):
        m = min(BIN_TILE, n - r0)
        for f in range(n_f):
            fo, co = fine_off[f], coarse_off[f]
            nan_bin = n_bounds[f] + 1
            base = row_off[f]
            for r in range(m):
                col[r] = np.float32(features[r0 + r, f])
                blk[r] = 0
            # the block: how many blocks lie wholly below, four block ends per pass over the tile
            # (a quarter of the blk loads and stores: bin_rows 1.50 -> 1.33 ms CPU)
            q, end = co, coarse_off[f + 1]
            while q + 4 <= end:
                t0, t1, t2, t3 = coarse[q], coarse[q + 1], coarse[q + 2], coarse[q + 3]
                for r in range(m):
                    v = col[r]
                    blk[r] += np.int32(t0 < v) + np.int32(t1 < v) + np.int32(t2 < v) + np.int32(t3 < v)
                q += 4
            for k in range(q, end):
                t = coarse[k]
                for r in range(m):
                    blk[r] += np.int32(t < col[r])
            for r in range(m):  # then the place inside the block
                v = col[r]
                lo = fo + blk[r] * BLOCK
                b = blk[r] * BLOCK
                for k in range(BLOCK):
                    b += fine[lo + k] < v
                idx[r0 + r, f] = base + (nan_bin if v != v else b)
        for f in range(n_f, idx.shape[1]):
            for r in range(m):
                idx[r0 + r, f] = ones_row


@njit(cache=True, inline="always")
def _and12(a, tab, ix, g, first, width):
    r0, r1, r2, r3 = tab[ix[g]], tab[ix[g + 1]], tab[ix[g + 2]], tab[ix[g + 3]]
    r4, r5, r6, r7 = tab[ix[g + 4]], tab[ix[g + 5]], tab[ix[g + 6]], tab[ix[g + 7]]
    r8, r9, r10, r11 = tab[ix[g + 8]], tab[ix[g + 9]], tab[ix[g + 10]], tab[ix[g + 11]]
    for k in range(width):
        v = r0[k] & r1[k] & r2[k] & r3[k] & r4[k] & r5[k] & r6[k] & r7[k] & r8[k] & r9[k] & r10[k] & r11[k]
        a[k] = v if first else a[k] & v


@njit(cache=True, inline="always")
def _and4(a, tab, ix, g, first, width):
    r0, r1, r2, r3 = tab[ix[g]], tab[ix[g + 1]], tab[ix[g + 2]], tab[ix[g + 3]]
    for k in range(width):
        v = r0[k] & r1[k] & r2[k] & r3[k]
        a[k] = v if first else a[k] & v


@njit(cache=True, inline="always")
def _alive(a, tab, ix, n_fp, width):
    # twelve feature rows per pass while they last (the shipped models: 11 features, one pass), then
    # four: each pass reads and writes the trees' masks once
    g = 0
    while g + 12 <= n_fp:
        _and12(a, tab, ix, g, g == 0, width)
        g += 12
    while g < n_fp:
        _and4(a, tab, ix, g, g == 0, width)
        g += 4


def _exit_leaf(mask):
    pass


@overload(_exit_leaf, inline="always")
def _exit_leaf_impl(mask):
    # masks of up to 32 bits counted as uint32 (vectorises better than the narrow types); wider ones as is
    if isinstance(mask, types.Integer) and mask.bitwidth > 32:
        return lambda mask: np.uint8(lowest_bit(mask))
    return lambda mask: np.uint8(lowest_bit(np.uint32(mask)))


@njit(cache=True, nogil=True)
def score_rows(idx, out, meta, chunks, tables, leaf_pad, start, stop):
    """Rows ``start:stop``: per chunk of trees (in tree order) the exit leaves' weights added to each
    row's float32 sum of its model, then the model's output rule."""
    n_fp = idx.shape[1]
    width = tables.shape[2]
    a = np.empty((4, width), dtype=tables.dtype)
    stride = a.itemsize * 8
    n = stop - start
    s = np.zeros((meta.shape[0], n), dtype=np.float32)
    leaf4 = np.empty(4 * width, dtype=np.uint8)  # tree k's exit leaf of row j at 4 * k + j
    words = leaf4.view(np.uint32)  # row j's byte at bits 8j: little-endian (x86-64, aarch64)
    for c in range(chunks.shape[0]):
        t0, w, m = chunks[c, 0], chunks[c, 1], chunks[c, 2]
        tab = tables[c]
        lw = leaf_pad[t0 * stride : (t0 + w) * stride]
        sm = s[m]
        i = 0
        while i + 4 <= n:
            for j in range(4):
                _alive(a[j], tab, idx[start + i + j], n_fp, width)
            a0, a1, a2, a3 = a[0], a[1], a[2], a[3]
            for k in range(w):  # exit leaves, vectorised (no order involved yet)
                leaf4[4 * k] = _exit_leaf(a0[k])
                leaf4[4 * k + 1] = _exit_leaf(a1[k])
                leaf4[4 * k + 2] = _exit_leaf(a2[k])
                leaf4[4 * k + 3] = _exit_leaf(a3[k])
            s0, s1, s2, s3 = sm[i], sm[i + 1], sm[i + 2], sm[i + 3]
            for k in range(w):  # added in tree order, four independent rows in flight
                v = words[k]
                base = k * stride
                s0 += lw[base + (v & 0xFF)]
                s1 += lw[base + ((v >> 8) & 0xFF)]
                s2 += lw[base + ((v >> 16) & 0xFF)]
                s3 += lw[base + (v >> 24)]
            sm[i], sm[i + 1], sm[i + 2], sm[i + 3] = s0, s1, s2, s3
            i += 4
        for r in range(i, n):
            _alive(a[0], tab, idx[start + r], n_fp, width)
            s0 = sm[r]
            for k in range(w):
                s0 += lw[k * stride + _exit_leaf(a[0, k])]
            sm[r] = s0
    for m in range(meta.shape[0]):
        kind, column = meta[m, 2], meta[m, 3]
        for r in range(n):
            out[start + r, m] = np.float64(_output(s[m, r], kind, column))


# The kernels inline code from these modules; numba's cache only watches this file.
_HERE = Path(__file__).resolve().parent
flush_if_dependencies_changed(
    globals(),
    [_HERE / "tree_numba.py", _HERE / "tree_quickscorer.py", _HERE / "tree_program.py"],
    tag="tree_batch",
)
