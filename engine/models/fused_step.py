"""One numba call per bar: the incremental feature update and, once the row is ready, every tree model.

The strategy's per-bar decision inputs used to take two numba calls (``IncrementalFeatures.update``,
then ``ModelBundle.predict_row``) and the Python between them (float conversions, the masked-row check,
a tuple of scores). :class:`FusedBarStep` runs :func:`engine.features.vector_kernel.features_step` and
the binned tree evaluator (:mod:`engine.models.tree_bins`) in one kernel, writing into the feature
state's own buffers and a preallocated score array. Its arithmetic is the two calls' own: the same
feature step, the row rounded to float32 with the policy's disabled features set to 0 (as
:func:`engine.policy.effects.masked_features` does before scoring), the same bins and tree-order float32
sums. It exists only for a bundle whose every model the binned evaluator scores alone (no onnxruntime
tail); :func:`fused_step_for` returns ``None`` otherwise and the caller keeps the two calls.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numba import njit

from engine.features._cache_guard import flush_if_dependencies_changed
from engine.features.vector import FEATURE_NAMES, IncrementalFeatures
from engine.features.vector_kernel import OUT_READY, features_step
from engine.models.tree_bins import bin_exit_masks, bin_tree_sum
from engine.models.tree_numba import _output


@njit(cache=True)
def _bar_kernel(
    state, open_, high, low, close, volume, out, keep, x, alive, meta, scores,
    bounds, bound_off, row_off, table, leaf_off, leaf_w,
):  # fmt: skip
    features_step(state, open_, high, low, close, volume, out)
    if out[OUT_READY] == 0.0:
        return False
    for f in range(x.shape[0]):
        x[f] = np.float32(out[f]) if keep[f] else np.float32(0.0)
    bin_exit_masks(x, alive, bounds, bound_off, row_off, table)
    for m in range(meta.shape[0]):
        s = bin_tree_sum(alive, leaf_off, leaf_w, meta[m, 0], meta[m, 1])
        scores[m] = np.float64(_output(s, meta[m, 2], meta[m, 3]))
    return True


_COLUMN = {name: i for i, name in enumerate(FEATURE_NAMES)}


class FusedBarStep:
    """Feature update + model scores of one instrument's bars in one numba call (not thread-safe).

    Parameters
    ----------
    features : IncrementalFeatures
        The instrument's feature state; updated in place, so its ``ready`` / ``vol_z`` / ``atr`` /
        ``liquidity`` and its row read as after ``update``.
    trees : engine.models.tree_numba.TreeBundleEvaluator
        The bundle's binned evaluator (``method == "bins"``), one program per model.

    Attributes
    ----------
    scores : numpy.ndarray
        ``(n_models,)`` float64: the last ready row's scores, in bundle order.
    row : numpy.ndarray
        The feature row of the last bar (a view of the feature state's buffer).
    """

    __slots__ = ("_args", "_disabled", "_keep", "_state", "_out", "row", "scores")

    def __init__(self, features: IncrementalFeatures, trees) -> None:
        if trees.bins is None:
            raise ValueError("the fused step needs the binned tree layout")
        self._state = features._state
        self._out = features._out
        self.row = features._row
        self.scores = np.zeros(trees.n_models)
        self._keep = np.ones(len(FEATURE_NAMES), dtype=np.uint8)
        self._disabled: tuple[str, ...] = ()
        x = np.zeros(trees.n_features, dtype=np.float32)
        alive = np.zeros_like(trees._alive_bins)
        self._args = (self._keep, x, alive, trees.meta, self.scores, *trees._bins)

    def mask(self, disabled: tuple[str, ...]) -> None:
        """Score with these features set to 0 from the next bar on (a policy's ``disabled_features``)."""
        if disabled == self._disabled:
            return
        self._keep[:] = 1
        for name in disabled:
            if name in _COLUMN:
                self._keep[_COLUMN[name]] = 0
        self._disabled = tuple(disabled)

    def step(self, open_: float, high: float, low: float, close: float, volume: float) -> bool:
        """Consume one bar (floats); return whether the row is ready, and then :attr:`scores` are its."""
        return _bar_kernel(self._state, open_, high, low, close, volume, self._out, *self._args)


def fused_step_for(features: IncrementalFeatures, bundle) -> FusedBarStep | None:
    """A fused step over ``bundle``'s models, or ``None`` when the binned numba evaluator does not score
    every model by itself (onnxruntime runtime, a calibration tail, another tree layout)."""
    evaluator = getattr(bundle, "evaluator", None)
    if evaluator is None or evaluator.tail_models or evaluator.trees.bins is None:
        return None
    if evaluator.trees.n_models != len(bundle.names) or evaluator.trees.n_features != len(FEATURE_NAMES):
        return None
    # compile (or load from numba's cache) now, on a scratch state, not on the first bar
    FusedBarStep(IncrementalFeatures(features.params), evaluator.trees).step(1.0, 1.0, 1.0, 1.0, 1.0)
    return FusedBarStep(features, evaluator.trees)


_HERE = Path(__file__).resolve().parent
flush_if_dependencies_changed(
    globals(),
    [
        _HERE / "tree_bins.py",
        _HERE / "tree_quickscorer.py",
        _HERE / "tree_numba.py",
        _HERE / "tree_program.py",
        _HERE.parent / "features" / "vector_kernel.py",
        _HERE.parent / "features" / "kernels.py",
        _HERE.parent / "features" / "rolling_kernels.py",
    ],
    tag="fused_step",
)
