"""Leakage-free splits: purged K-fold with an embargo, and walk-forward Search / Validation / OOS.

Written by hand because the maintained implementation (skfolio's ``CombinatorialPurgedCV`` /
``WalkForward``) cannot be installed next to vectorbt here (plotly pin conflict); both are short.

Every row ``i`` has a feature time ``ts[i]`` and a label window ``[ts[i], label_end_ts[i]]`` (the bars
its label looks at). A split is leakage-free when the label window of every training row is disjoint
from the label window of every evaluation row (which implies no training label reaches into the time
of an evaluation sample). Blocks are cut on time, never between two rows of the same timestamp.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.research.errors import SplitError


@dataclass(frozen=True)
class Fold:
    """Row indices of one walk-forward fold, in time order: search (train) < validation < forward OOS.

    ``search`` rows train the model, ``validation`` rows fit and choose calibrators, ``oos`` rows are
    only predicted. Bounds are the first and last feature times of each segment (nanoseconds).
    """

    index: int
    search: np.ndarray
    validation: np.ndarray
    oos: np.ndarray

    def bounds(self, ts: np.ndarray) -> dict[str, tuple[int, int]]:
        """First and last ``ts`` of each segment."""
        return {
            name: (int(ts[idx[0]]), int(ts[idx[-1]]))
            for name, idx in (("search", self.search), ("validation", self.validation), ("oos", self.oos))
        }


def _check(ts: np.ndarray, label_end_ts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ts = np.asarray(ts, dtype=np.int64)
    end = np.asarray(label_end_ts, dtype=np.int64)
    if ts.ndim != 1 or ts.shape != end.shape:
        raise SplitError(f"ts {ts.shape} and label_end_ts {end.shape} must be equal-length vectors")
    if ts.size and np.any(np.diff(ts) < 0):
        raise SplitError("rows must be sorted by ts")
    if np.any(end < ts):
        raise SplitError("a label window ends before its row's time")
    return ts, end


def time_blocks(ts: np.ndarray, n_blocks: int) -> np.ndarray:
    """Assign each row to one of ``n_blocks`` contiguous time blocks of about equal row counts.

    Rows with the same ``ts`` always share a block. Returns ``(N,)`` int block ids, non-decreasing.

    Raises
    ------
    SplitError
        Fewer distinct timestamps than blocks.
    """
    ts = np.asarray(ts, dtype=np.int64)
    unique, counts = np.unique(ts, return_counts=True)
    if n_blocks < 1 or unique.size < n_blocks:
        raise SplitError(f"cannot cut {unique.size} distinct timestamps into {n_blocks} blocks")
    cumulative = np.cumsum(counts)
    first = []  # index into ``unique`` where each block after the first begins
    previous = 0
    for b in range(1, n_blocks):
        # the block begins at the timestamp of row floor(b N / n) (the unique holding that row)
        at = int(np.searchsorted(cumulative, (b * ts.size) // n_blocks, side="right"))
        # every block keeps at least one distinct timestamp
        at = min(max(at, previous + 1), unique.size - (n_blocks - b))
        first.append(at)
        previous = at
    return np.searchsorted(unique[first], ts, side="right").astype(np.int64)


def purged_kfold(
    ts: np.ndarray, label_end_ts: np.ndarray, n_splits: int, embargo_ns: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Purged K-fold (López de Prado, AFML ch. 7): contiguous test blocks, purged and embargoed train.

    A training row is dropped when its label window overlaps the test block's span
    ``[first test ts, last test label end]``, or when its time falls in the embargo after the block
    (``ts <= last test ts + embargo_ns``).

    Parameters
    ----------
    ts, label_end_ts : np.ndarray
        ``(N,)`` int64 feature times (sorted) and label window ends.
    n_splits : int
        Number of folds (>= 2).
    embargo_ns : int
        Embargo after each test block, in nanoseconds (use the label horizon).

    Returns
    -------
    list of (train_index, test_index)
    """
    ts, end = _check(ts, label_end_ts)
    if n_splits < 2:
        raise SplitError(f"n_splits must be >= 2, got {n_splits}")
    blocks = time_blocks(ts, n_splits)
    out = []
    for k in range(n_splits):
        test = np.flatnonzero(blocks == k)
        lo, hi = int(ts[test[0]]), int(end[test].max())
        overlaps = (ts <= hi) & (end >= lo)
        embargoed = (ts > ts[test[-1]]) & (ts <= int(ts[test[-1]]) + embargo_ns)
        train = np.flatnonzero(~overlaps & ~embargoed & (blocks != k))
        if train.size == 0:
            raise SplitError(f"fold {k}: purging left no training rows")
        out.append((train, test))
    return out


def walk_forward(
    ts: np.ndarray,
    label_end_ts: np.ndarray,
    *,
    n_folds: int,
    search_blocks: int,
    mode: str = "expanding",
) -> list[Fold]:
    """Walk-forward folds with the seed's Search / Validation / Forward-OOS segmentation.

    Time is cut into ``search_blocks + n_folds + 1`` equal blocks. Fold ``k`` searches (trains) on
    blocks ``[0, search_blocks + k)`` (``expanding``) or the last ``search_blocks`` of them
    (``rolling``), validates on block ``search_blocks + k`` and is scored out of sample on block
    ``search_blocks + k + 1``. Search rows whose label window reaches the validation period, and
    validation rows whose label window reaches the OOS period, are purged.

    Raises
    ------
    SplitError
        Bad arguments, too little data, or a segment left empty.
    """
    ts, end = _check(ts, label_end_ts)
    if mode not in ("expanding", "rolling"):
        raise SplitError(f"mode must be 'expanding' or 'rolling', got {mode!r}")
    if n_folds < 1 or search_blocks < 1:
        raise SplitError(f"need n_folds >= 1 and search_blocks >= 1, got {n_folds}, {search_blocks}")
    blocks = time_blocks(ts, search_blocks + n_folds + 1)
    folds = []
    for k in range(n_folds):
        v_block = search_blocks + k
        first = 0 if mode == "expanding" else v_block - search_blocks
        validation = np.flatnonzero(blocks == v_block)
        oos = np.flatnonzero(blocks == v_block + 1)
        v_start, o_start = int(ts[validation[0]]), int(ts[oos[0]])
        search = np.flatnonzero((blocks >= first) & (blocks < v_block) & (end < v_start))
        validation = validation[end[validation] < o_start]
        if search.size == 0 or validation.size == 0:
            raise SplitError(f"fold {k}: purging left an empty search or validation segment")
        folds.append(Fold(index=k, search=search, validation=validation, oos=oos))
    return folds


def windows_disjoint(ts: np.ndarray, label_end_ts: np.ndarray, first: np.ndarray, second: np.ndarray) -> bool:
    """True when no label window of rows ``first`` overlaps a label window of rows ``second``."""
    if first.size == 0 or second.size == 0:
        return True
    ts = np.asarray(ts, dtype=np.int64)
    end = np.asarray(label_end_ts, dtype=np.int64)
    order = np.argsort(ts[second], kind="stable")
    starts = ts[second][order]
    prefix_max = np.maximum.accumulate(end[second][order])
    a, b = ts[first], end[first]
    # second-set windows with start <= b are the prefix [0, pos); one overlaps iff their max end >= a
    pos = np.searchsorted(starts, b, side="right")
    has = pos > 0
    overlap = np.zeros(first.size, dtype=bool)
    overlap[has] = prefix_max[pos[has] - 1] >= a[has]
    return not bool(overlap.any())
