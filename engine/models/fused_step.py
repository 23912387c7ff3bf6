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

import weakref
from functools import partial
from pathlib import Path

import numpy as np
from numba import float64, njit, typeof

from engine.features._cache_guard import flush_if_dependencies_changed
from engine.features.vector import FEATURE_NAMES, IncrementalFeatures
from engine.features.vector_kernel import OUT_READY, features_step
from engine.models.tree_bins import bin_exit_masks, bin_tree_sum, bin_tree_sum2
from engine.models.tree_numba import _output


@njit(cache=True)
def _bar_kernel(state, out, scores, xk, alive, ints, reals, table, open_, high, low, close, volume):
    features_step(state, open_, high, low, close, volume, out)
    if out[OUT_READY] == 0.0:
        return False
    n = xk.shape[0] // 2  # xk: the float32 row, then the keep flags (1.0 / 0.0)
    x = xk[:n]
    for f in range(n):
        x[f] = np.float32(out[f]) if xk[n + f] != 0.0 else np.float32(0.0)
    n_bounds, meta_at = ints[0], ints.shape[0] - 4 * scores.shape[0]  # see _pack
    bin_exit_masks(x, alive, reals[:n_bounds], ints[1 : n + 2], ints[n + 2 : 2 * n + 2], table)
    leaf_off, leaf_w = ints[2 * n + 2 : meta_at], reals[n_bounds:]
    # a model's row of the evaluator's meta at ints[meta_at + 4 * m]: first tree, end tree, output kind,
    # column; two models at a time (bin_tree_sum2), the last of an odd count alone
    n_models = scores.shape[0]
    for m in range(0, n_models - 1, 2):
        a = meta_at + 4 * m
        b = a + 4
        s0, s1 = bin_tree_sum2(alive, leaf_off, leaf_w, ints[a], ints[a + 1], ints[b], ints[b + 1])
        scores[m] = np.float64(_output(s0, ints[a + 2], ints[a + 3]))
        scores[m + 1] = np.float64(_output(s1, ints[b + 2], ints[b + 3]))
    if n_models % 2 == 1:
        a = meta_at + 4 * (n_models - 1)
        s = bin_tree_sum(alive, leaf_off, leaf_w, ints[a], ints[a + 1])
        scores[n_models - 1] = np.float64(_output(s, ints[a + 2], ints[a + 3]))
    return True


def _pack(trees) -> tuple[np.ndarray, np.ndarray]:
    """The binned evaluator's arrays as two (each argument of a numba call costs ~0.1 µs to unbox):
    int64 ``[n_bounds, bound_offsets, row_offsets, leaf_offsets, meta]`` and float32
    ``[bounds, leaf_weights]``. Read-only, shared by every instrument of the bundle."""
    bounds, bound_off, row_off, _, leaf_off, leaf_w = trees._bins
    ints = np.concatenate(([bounds.size], bound_off, row_off, leaf_off, trees.meta.ravel())).astype(np.int64)
    reals = np.concatenate((bounds, leaf_w)).astype(np.float32)
    ints.flags.writeable = reals.flags.writeable = False
    return ints, reals


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
    packed : tuple, optional
        ``_pack(trees)``, when the caller shares it between instruments (built here otherwise).

    Attributes
    ----------
    step : callable
        ``step(open, high, low, close, volume) -> bool``: consume one bar (floats); return whether the row
        is ready, and then :attr:`scores` are its. A partial of the kernel: no Python frame per bar.
    scores : numpy.ndarray
        ``(n_models,)`` float64: the last ready row's scores, in bundle order.
    row : numpy.ndarray
        The feature row of the last bar (a view of the feature state's buffer).
    """

    __slots__ = ("_disabled", "_keep", "row", "scores", "step")

    def __init__(self, features: IncrementalFeatures, trees, packed=None) -> None:
        if trees.bins is None:
            raise ValueError("the fused step needs the binned tree layout")
        self.row = features._row
        self.scores = np.zeros(trees.n_models)
        n = trees.n_features
        xk = np.zeros(2 * n, dtype=np.float32)
        self._keep = xk[n:]
        self._keep[:] = 1.0
        self._disabled: tuple[str, ...] = ()
        alive = np.zeros_like(trees._alive_bins)
        ints, reals = packed if packed is not None else _pack(trees)
        arrays = (features._state, features._out, self.scores, xk, alive, ints, reals, trees._bins[3])
        self.step = partial(_compiled(arrays), *arrays)

    def mask(self, disabled: tuple[str, ...]) -> None:
        """Score with these features set to 0 from the next bar on (a policy's ``disabled_features``)."""
        if disabled == self._disabled:
            return
        self._keep[:] = 1.0
        for name in disabled:
            if name in _COLUMN:
                self._keep[_COLUMN[name]] = 0.0
        self._disabled = tuple(disabled)


def _compiled(arrays: tuple[np.ndarray, ...]):
    """The kernel compiled (or loaded from numba's cache) for these arrays and five float64 bar values, as
    its direct entry point: the dispatcher resolves every argument's type on each call, ~0.4 µs of a
    ~1 µs call with eight arrays. The arrays are fixed for the step's life, so their types cannot change;
    the bar values are unboxed as float64 either way."""
    return _bar_kernel.compile(tuple(typeof(a) for a in arrays) + (float64,) * 5)


def fused_step_for(features: IncrementalFeatures, bundle) -> FusedBarStep | None:
    """A fused step over ``bundle``'s models, or ``None`` when the binned numba evaluator does not score
    every model by itself (onnxruntime runtime, a calibration tail, another tree layout)."""
    evaluator = getattr(bundle, "evaluator", None)
    if evaluator is None or evaluator.tail_models or evaluator.trees.bins is None:
        return None
    if evaluator.trees.n_models != len(bundle.names) or evaluator.trees.n_features != len(FEATURE_NAMES):
        return None
    trees = evaluator.trees
    packed = _PACKED.get(trees)
    if packed is None:
        packed = _PACKED[trees] = _pack(trees)
    # compile (or load from numba's cache) now, on a scratch state, not on the first bar
    FusedBarStep(IncrementalFeatures(features.params), trees, packed).step(1.0, 1.0, 1.0, 1.0, 1.0)
    return FusedBarStep(features, trees, packed)


# per evaluator: its packed arrays, built once for every instrument of the bundle
_PACKED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


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
