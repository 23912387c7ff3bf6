"""QuickScorer layout of ``BRANCH_LEQ`` tree ensembles: a row's exit leaves without walking the trees.

Lucchese et al., "QuickScorer: a fast algorithm to rank documents with additive ensembles of
regression trees" (SIGIR 2015), hand-written here for numba. Leaves of each tree are numbered left to
right with the true branch on the left. Every branch node carries a bit mask that clears the leaves of
its true subtree. For a row, a node whose test is false (``x[f] <= t`` false, i.e. ``t < x[f]`` for a
number, or a NaN on a node whose missing value does not take the true branch) clears those leaves
from its tree's mask; the exit leaf is then the lowest set bit. Nodes are grouped by feature and
sorted by threshold, so the false nodes of a feature are a prefix of its list and the scan stops at
the first true one: no data-dependent walk, few mispredicted branches. The comparisons are the
tree's own float32 ones, so the exit leaves are exactly the walk's, and the leaf weights are summed
in tree order as onnxruntime does. Trees of more than 64 leaves are not laid out (``None``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numba import njit
from numba.cpython.unsafe.numbers import trailing_zeros

from engine.models.tree_program import LEAF, MODES, TreeProgram

MAX_LEAVES = 64


class QuickScorerLayout:
    """Arrays of the layout (see the module docstring), trees of every model concatenated.

    Attributes
    ----------
    offsets : int32 ``(F + 1,)``, feature f's nodes are ``offsets[f]:offsets[f + 1]``
    thresholds : float32, ascending within a feature
    trees : int32, the node's tree (global index)
    masks : uint64, leaves kept when the node's test is false
    missing_true : uint8, a NaN takes the node's true branch
    leaf_offsets : int32 ``(n_trees + 1,)`` into ``leaf_weights``
    leaf_weights : float32, left to right per tree
    """

    def __init__(self, offsets, thresholds, trees, masks, missing_true, leaf_offsets, leaf_weights):
        self.offsets = offsets
        self.thresholds = thresholds
        self.trees = trees
        self.masks = masks
        self.missing_true = missing_true
        self.leaf_offsets = leaf_offsets
        self.leaf_weights = leaf_weights


def build_layout(programs: Sequence[TreeProgram], n_features: int) -> QuickScorerLayout | None:
    """The layout of ``programs`` (trees in model, then tree order), or None if one does not fit."""
    leq = MODES["BRANCH_LEQ"]
    nodes_by_feature: list[list[tuple[float, int, int, int, int]]] = [[] for _ in range(n_features)]
    leaf_weights: list[float] = []
    leaf_offsets = [0]
    seq = 0  # insertion order, keeps equal thresholds in a stable order
    tree = 0
    for p in programs:
        inner = p.nodes[:, 0] != LEAF
        if np.any(p.nodes[inner, 1] != leq) or np.any(np.isnan(p.values[inner, 0])):
            return None
        for root in p.roots.tolist():
            leaves: list[int] = []
            spans: list[tuple[int, int, int]] = []  # (node, first leaf of true subtree, count)
            # in-order walk, true child first: leaves left to right
            stack: list[tuple[int, bool]] = [(int(root), False)]
            first: dict[int, int] = {}
            while stack:
                k, done = stack.pop()
                feature, _, _, true_k, false_k = (int(v) for v in p.nodes[k])
                if feature == LEAF:
                    leaves.append(k)
                    continue
                if done:
                    spans.append((k, first[k], len(leaves) - first[k]))
                    continue
                first[k] = len(leaves)
                stack.append((false_k, False))
                stack.append((k, True))  # after the true subtree: its leaves are counted
                stack.append((true_k, False))
            if len(leaves) > MAX_LEAVES:
                return None
            for k, lo, count in spans:
                cleared = ((1 << count) - 1) << lo
                mask = ~cleared & 0xFFFFFFFFFFFFFFFF
                feature = int(p.nodes[k, 0])
                if feature >= n_features:
                    return None
                thr = float(p.values[k, 0])
                nodes_by_feature[feature].append((thr, seq, tree, mask, int(p.nodes[k, 2])))
                seq += 1
            leaf_weights.extend(float(p.values[k, 1]) for k in leaves)
            leaf_offsets.append(len(leaf_weights))
            tree += 1
    offsets = [0]
    flat: list[tuple[float, int, int, int, int]] = []
    for rows in nodes_by_feature:
        flat.extend(sorted(rows))
        offsets.append(len(flat))
    return QuickScorerLayout(
        np.asarray(offsets, dtype=np.int32),
        np.asarray([r[0] for r in flat], dtype=np.float32),
        np.asarray([r[2] for r in flat], dtype=np.int32),
        np.asarray([r[3] for r in flat], dtype=np.uint64),
        np.asarray([r[4] for r in flat], dtype=np.uint8),
        np.asarray(leaf_offsets, dtype=np.int32),
        np.asarray(leaf_weights, dtype=np.float32),
    )


@njit(cache=True, inline="always")
def lowest_bit(m):
    """Index of the lowest set bit (the exit leaf) of a non-zero mask."""
    return trailing_zeros(m)


@njit(cache=True, inline="always")
def qs_exit_masks(x, alive, offsets, thresholds, trees, masks, missing_true):
    """Clear, per tree, the leaves that the row ``x`` (float32) cannot reach."""
    alive[:] = ~np.uint64(0)
    for f in range(x.shape[0]):
        v = x[f]
        if np.isnan(v):
            for j in range(offsets[f], offsets[f + 1]):
                if missing_true[j] == 0:
                    alive[trees[j]] &= masks[j]
        else:
            for j in range(offsets[f], offsets[f + 1]):
                if thresholds[j] < v:
                    alive[trees[j]] &= masks[j]
                else:
                    break


@njit(cache=True, inline="always")
def qs_tree_sum(alive, leaf_offsets, leaf_weights, lo, hi):
    """float32 sum, in tree order, of the exit leaves' weights of trees ``lo:hi``."""
    s = np.float32(0.0)
    for t in range(lo, hi):
        s += leaf_weights[leaf_offsets[t] + lowest_bit(alive[t])]
    return s
