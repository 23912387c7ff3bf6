"""numba evaluation of several :class:`engine.models.tree_program.TreeProgram` at once (a bundle).

Hand-written because no maintained library reproduces onnxruntime's tree arithmetic bit for bit
(treelite / lleaves compile LightGBM text models, not the ONNX artifact we verify and ship): the
point is identical decisions whichever runtime scores. Every operation mirrors onnxruntime's CPU
kernel with one intra-op thread (see ``tree_program``): float64 features are rounded to float32,
compared with float32 thresholds, leaf weights summed in float32 in tree order, ``expf`` logistic.

One call scores every model of the bundle for one row (``predict_row_into``, no allocation) or for
a matrix (``predict_batch``); the arrays of all models are concatenated so a call passes seven
arguments whatever the number of models.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numba import njit

from engine.features._cache_guard import flush_if_dependencies_changed
from engine.models.tree_bins import bin_exit_masks, bin_tree_sum, build_bin_table
from engine.models.tree_program import KIND_COMPLEMENT, KIND_LOGISTIC, LEAF, TreeProgram
from engine.models.tree_quickscorer import build_layout, lowest_bit, qs_exit_masks, qs_tree_sum


@njit(cache=True, inline="always")
def _logistic(v):
    # ml_common.h ComputeLogistic, in float32
    one = np.float32(1.0)
    e = one / (one + np.exp(-np.abs(v)))
    return one - e if v < np.float32(0.0) else e


@njit(cache=True, inline="always")
def _tree_sum(x, code, thr, roots, lo, hi):
    # code[k] = (feature or LEAF, mode | missing_true << 3, true child); the false child is k + 1;
    # thr[k] is a branch's threshold or a leaf's weight (both views share one cache line per node)
    s = np.float32(0.0)
    for t in range(lo, hi):
        k = roots[t]
        while code[k, 0] != LEAF:
            v = x[code[k, 0]]
            th = thr[k, 3]
            flags = code[k, 1]
            m = flags & 7
            if m == 0:
                c = v <= th
            elif m == 1:
                c = v < th
            elif m == 2:
                c = v >= th
            elif m == 3:
                c = v > th
            elif m == 4:
                c = v == th
            else:
                c = v != th
            if c or (flags >= 8 and np.isnan(v)):
                k = code[k, 2]
            else:
                k += 1
        s += thr[k, 3]
    return s


@njit(cache=True, inline="always")
def _output(s, kind, column):
    if kind == KIND_LOGISTIC:
        return _logistic(s) if column == 1 else _logistic(-s)
    if kind == KIND_COMPLEMENT:
        return s if column == 1 else np.float32(1.0) - s
    return s if column == 1 else -s


@njit(cache=True)
def _row_kernel(row, out, x, code, thr, roots, meta):
    for f in range(x.shape[0]):
        x[f] = np.float32(row[f])
    for m in range(meta.shape[0]):
        s = _tree_sum(x, code, thr, roots, meta[m, 0], meta[m, 1])
        out[m] = np.float64(_output(s, meta[m, 2], meta[m, 3]))


@njit(cache=True)
def _batch_kernel(features, out, code, thr, roots, meta):
    x = np.empty(features.shape[1], dtype=np.float32)
    for i in range(features.shape[0]):
        for f in range(features.shape[1]):
            x[f] = np.float32(features[i, f])
        for m in range(meta.shape[0]):
            s = _tree_sum(x, code, thr, roots, meta[m, 0], meta[m, 1])
            out[i, m] = np.float64(_output(s, meta[m, 2], meta[m, 3]))


@njit(cache=True)
def _qs_row_kernel(row, out, x, alive, meta, offsets, thresholds, trees, masks, missing, leaf_off, leaf_w):
    for f in range(x.shape[0]):
        x[f] = np.float32(row[f])
    qs_exit_masks(x, alive, offsets, thresholds, trees, masks, missing)
    for m in range(meta.shape[0]):
        s = qs_tree_sum(alive, leaf_off, leaf_w, meta[m, 0], meta[m, 1])
        out[m] = np.float64(_output(s, meta[m, 2], meta[m, 3]))


@njit(cache=True)
def _qs_batch_kernel(features, out, meta, offsets, thresholds, trees, masks, missing, leaf_off, leaf_w):
    x = np.empty(features.shape[1], dtype=np.float32)
    alive = np.empty(leaf_off.shape[0] - 1, dtype=np.uint64)
    for i in range(features.shape[0]):
        for f in range(features.shape[1]):
            x[f] = np.float32(features[i, f])
        qs_exit_masks(x, alive, offsets, thresholds, trees, masks, missing)
        for m in range(meta.shape[0]):
            s = qs_tree_sum(alive, leaf_off, leaf_w, meta[m, 0], meta[m, 1])
            out[i, m] = np.float64(_output(s, meta[m, 2], meta[m, 3]))


@njit(cache=True)
def _bin_row_kernel(row, out, x, alive, meta, bounds, bound_off, row_off, table, leaf_off, leaf_w):
    for f in range(x.shape[0]):
        x[f] = np.float32(row[f])
    bin_exit_masks(x, alive, bounds, bound_off, row_off, table)
    for m in range(meta.shape[0]):
        s = bin_tree_sum(alive, leaf_off, leaf_w, meta[m, 0], meta[m, 1])
        out[m] = np.float64(_output(s, meta[m, 2], meta[m, 3]))


@njit(cache=True)
def _bin_batch_kernel(features, out, meta, bounds, bound_off, row_off, table, leaf_off, leaf_w):
    # four rows at a time: their float32 sums are four independent dependency chains (each still in
    # tree order), which the CPU overlaps; the tail rows go one by one
    n, n_f = features.shape
    x = np.empty(n_f, dtype=np.float32)
    alive = np.empty((4, table.shape[1]), dtype=table.dtype)
    i = 0
    while i + 4 <= n:
        for j in range(4):
            for f in range(n_f):
                x[f] = np.float32(features[i + j, f])
            bin_exit_masks(x, alive[j], bounds, bound_off, row_off, table)
        for m in range(meta.shape[0]):
            s0 = s1 = s2 = s3 = np.float32(0.0)
            for t in range(meta[m, 0], meta[m, 1]):
                o = leaf_off[t]
                s0 += leaf_w[o + lowest_bit(alive[0, t])]
                s1 += leaf_w[o + lowest_bit(alive[1, t])]
                s2 += leaf_w[o + lowest_bit(alive[2, t])]
                s3 += leaf_w[o + lowest_bit(alive[3, t])]
            kind, column = meta[m, 2], meta[m, 3]
            out[i, m] = np.float64(_output(s0, kind, column))
            out[i + 1, m] = np.float64(_output(s1, kind, column))
            out[i + 2, m] = np.float64(_output(s2, kind, column))
            out[i + 3, m] = np.float64(_output(s3, kind, column))
        i += 4
    for r in range(i, n):
        for f in range(n_f):
            x[f] = np.float32(features[r, f])
        bin_exit_masks(x, alive[0], bounds, bound_off, row_off, table)
        for m in range(meta.shape[0]):
            s = bin_tree_sum(alive[0], leaf_off, leaf_w, meta[m, 0], meta[m, 1])
            out[r, m] = np.float64(_output(s, meta[m, 2], meta[m, 3]))


def _preorder(p: TreeProgram, base: int) -> tuple[list[tuple[int, int, int, float]], list[int]]:
    """Each tree's nodes depth first, false child right after its parent; rows and root positions."""
    rows: list[tuple[int, int, int, float]] = []
    roots = []
    for root in p.roots.tolist():
        roots.append(base + len(rows))
        patch: list[tuple[int, int]] = []  # (row whose true child is pending, original true child)
        stack = [int(root)]
        where: dict[int, int] = {}
        while stack:
            k = stack.pop()
            where[k] = base + len(rows)
            feature, mode, missing, true_k, false_k = (int(v) for v in p.nodes[k])
            if feature == LEAF:
                rows.append((LEAF, 0, 0, float(p.values[k, 1])))
                continue
            patch.append((len(rows), true_k))
            rows.append((feature, mode | (missing << 3), -1, float(p.values[k, 0])))
            stack.append(true_k)
            stack.append(false_k)  # popped first: laid out next
        for r, true_k in patch:
            feature, flags, _, value = rows[r]
            rows[r] = (feature, flags, where[true_k], value)
    return rows, roots


class TreeBundleEvaluator:
    """Several tree programs scored together on the same rows (not thread-safe: one row buffer).

    Parameters
    ----------
    programs : sequence of TreeProgram
        In output order; all must take the same input width.
    n_features : int
        Input width.
    method : {"auto", "bins", "quickscorer", "walk"}
        ``auto``: the binned QuickScorer table (``tree_bins``) when every tree fits the QuickScorer
        layout (``BRANCH_LEQ`` only, <= 64 leaves) and the table its size limit, else QuickScorer's
        scans, else the node walk. All give the same leaves; the walk is the reference in the tests.
    """

    def __init__(self, programs: Sequence[TreeProgram], n_features: int, *, method: str = "auto") -> None:
        rows: list[tuple[int, int, int, float]] = []
        roots: list[int] = []
        meta = []
        for p in programs:
            tree_rows, tree_roots = _preorder(p, len(rows))
            meta.append((len(roots), len(roots) + len(tree_roots), p.kind, p.column))
            rows.extend(tree_rows)
            roots.extend(tree_roots)
        table = np.zeros((len(rows), 4), dtype=np.int32)
        table[:, :3] = np.asarray([r[:3] for r in rows], dtype=np.int32)
        as_float = table.view(np.float32)  # column 3 holds float32 bits: threshold or leaf weight
        as_float[:, 3] = np.asarray([r[3] for r in rows], dtype=np.float32)
        self.code = table
        self.thr = as_float
        self.roots = np.asarray(roots, dtype=np.int32)
        self.meta = np.asarray(meta, dtype=np.int32).reshape(-1, 4)
        self.n_features = n_features
        self.n_models = len(programs)
        self.layout = build_layout(programs, n_features) if method != "walk" else None
        self.bins = (
            build_bin_table(self.layout) if self.layout is not None and method in ("auto", "bins") else None
        )
        if method in ("quickscorer", "bins") and (
            self.layout is None or (method == "bins" and self.bins is None)
        ):
            raise ValueError(f"the trees do not fit the {method} layout")
        self.method = (
            "bins" if self.bins is not None else "quickscorer" if self.layout is not None else "walk"
        )
        self._x = np.zeros(n_features, dtype=np.float32)
        self._alive = np.zeros(len(roots), dtype=np.uint64)
        if self.layout is not None:
            q = self.layout
            self._qs = (
                q.offsets,
                q.thresholds,
                q.trees,
                q.masks,
                q.missing_true,
                q.leaf_offsets,
                q.leaf_weights,
            )
        self.batch = None
        if self.bins is not None:
            from engine.models.tree_batch import BatchLayout  # imports this module's _output

            b, q = self.bins, self.layout
            self._bins = (b.bounds, b.bound_offsets, b.row_offsets, b.table, q.leaf_offsets, q.leaf_weights)
            self._alive_bins = np.zeros(len(roots), dtype=b.table.dtype)
            self.batch = BatchLayout(b, q, self.meta)
        # compile (or load from numba's cache) now, not on the first bar
        self.predict_row_into(np.zeros(n_features), np.zeros(self.n_models))
        self.predict_batch(np.zeros((2, n_features)))

    def with_own_buffers(self) -> TreeBundleEvaluator:
        """A copy sharing the (read-only) layouts, with its own row buffers."""
        twin = copy.copy(self)
        twin._x = np.zeros_like(self._x)
        twin._alive = np.zeros_like(self._alive)
        if self.bins is not None:
            twin._alive_bins = np.zeros_like(self._alive_bins)
        return twin

    def predict_row_into(self, row: np.ndarray, out: np.ndarray) -> None:
        """Score one ``(F,)`` float64 row into ``out`` (``(n_models,)`` float64); allocates nothing."""
        if self.bins is not None:
            _bin_row_kernel(row, out, self._x, self._alive_bins, self.meta, *self._bins)
        elif self.layout is not None:
            _qs_row_kernel(row, out, self._x, self._alive, self.meta, *self._qs)
        else:
            _row_kernel(row, out, self._x, self.code, self.thr, self.roots, self.meta)

    def predict_batch(self, features: np.ndarray, threads: int = 1) -> np.ndarray:
        """Score an ``(N, F)`` matrix; return ``(N, n_models)`` float64 (each a float32 result).

        With the bin table, the batch layout of :mod:`engine.models.tree_batch` scores (the same
        scores as the row kernel's, on ``threads`` threads)."""
        x = np.ascontiguousarray(features, dtype=np.float64)
        out = np.empty((x.shape[0], self.n_models), dtype=np.float64)
        if self.batch is not None:
            self.batch.score(x, out, threads)
        elif self.layout is not None:
            _qs_batch_kernel(x, out, self.meta, *self._qs)
        else:
            _batch_kernel(x, out, self.code, self.thr, self.roots, self.meta)
        return out

    def predict_batch_rowwise(self, features: np.ndarray) -> np.ndarray:
        """The bin table's row kernel over a matrix, four rows at a time: the reference the batch layout
        is checked against (bins only)."""
        x = np.ascontiguousarray(features, dtype=np.float64)
        out = np.empty((x.shape[0], self.n_models), dtype=np.float64)
        _bin_batch_kernel(x, out, self.meta, *self._bins)
        return out


# The kernels inline code and constants from these modules; numba's cache only watches this file.
_HERE = Path(__file__).resolve().parent
flush_if_dependencies_changed(
    globals(),
    [_HERE / "tree_bins.py", _HERE / "tree_quickscorer.py", _HERE / "tree_program.py"],
    tag="tree_numba",
)
