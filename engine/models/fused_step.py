"""One numba call per bar: the incremental feature update and, once the row is ready, every tree model.

The strategy's per-bar decision inputs used to take two numba calls (``IncrementalFeatures.update``,
then ``ModelBundle.predict_row``) and the Python between them (float conversions, the masked-row check,
a tuple of scores). :class:`FusedBarStep` runs :func:`engine.features.vector_kernel.features_step` and
the binned tree evaluator (:mod:`engine.models.tree_bins`) in one kernel, on one float64 array per
instrument (the feature state and output, the scores, the masked row, the ensemble's decision) and the
bundle's shared arrays; with two models, (p_short, p_mid), the kernel also evaluates the ensemble's
common case (:mod:`engine.ensemble_kernel`) once terms are loaded.
Its arithmetic is the two calls' own: the same feature step, the row rounded to float32 with the
policy's disabled features set to 0 (as :func:`engine.policy.effects.masked_features` does before
scoring), the same bins and tree-order float32 sums. It exists only for a bundle whose every model the
binned evaluator scores alone (no onnxruntime tail); :func:`fused_step_for` returns ``None`` otherwise
and the caller keeps the two calls.
"""

from __future__ import annotations

import weakref
from functools import partial
from pathlib import Path

import numpy as np
from numba import float64, njit, typeof

from engine.ensemble_kernel import ACTIVE_ID, RESULTS, SIZE_OF, decide_common, load_terms, unload_terms
from engine.features._cache_guard import flush_if_dependencies_changed
from engine.features.vector import FEATURE_NAMES, IncrementalFeatures
from engine.features.vector_kernel import OUT_LIQUIDITY, OUT_READY, OUT_SIZE, OUT_VOL_Z, features_step
from engine.models.tree_bins import bin_exit_masks, bin_tree_sum, bin_tree_sum2
from engine.models.tree_numba import _output

_RO_HEADER = 4  # n_bounds, n_features, n_models, n_leaf_offsets: the head of _pack's array


@njit(cache=True)
def _bar_kernel(buf, alive, ro, table, open_, high, low, close, volume):
    # buf (the instrument's, float64): out (OUT_SIZE), scores, the masked row (float32 values), the keep
    # flags (1.0 / 0.0), the decision (SIZE_OF), then the feature state; ro (the bundle's): see _pack
    n, n_models = np.int64(ro[1]), np.int64(ro[2])
    x_at = OUT_SIZE + n_models
    keep_at = x_at + n
    decision_at = keep_at + n
    out = buf[:OUT_SIZE]
    features_step(buf[decision_at + SIZE_OF :], open_, high, low, close, volume, out)
    if out[OUT_READY] == 0.0:
        return False
    for f in range(n):
        buf[x_at + f] = np.float64(np.float32(out[f])) if buf[keep_at + f] != 0.0 else 0.0
    meta_at = 2 * n + _RO_HEADER + 1
    leaf_at = meta_at + 4 * n_models
    bounds_at = leaf_at + np.int64(ro[3])
    weights_at = bounds_at + np.int64(ro[0])
    bounds, bound_off, row_off = (
        ro[bounds_at:weights_at],
        ro[_RO_HEADER : meta_at - n],
        ro[meta_at - n : meta_at],
    )
    bin_exit_masks(buf[x_at:keep_at], alive, bounds, bound_off, row_off, table)
    leaf_off, leaf_w = ro[leaf_at:bounds_at], ro[weights_at:]
    # a model's meta row at ro[meta_at + 4 * m]: first tree, end tree, output kind, column; two models
    # at a time (bin_tree_sum2), the last of an odd count alone
    for m in range(0, n_models - 1, 2):
        a = meta_at + 4 * m
        b = a + 4
        s0, s1 = bin_tree_sum2(
            alive,
            leaf_off,
            leaf_w,
            np.int64(ro[a]),
            np.int64(ro[a + 1]),
            np.int64(ro[b]),
            np.int64(ro[b + 1]),
        )
        buf[OUT_SIZE + m] = np.float64(_output(s0, np.int64(ro[a + 2]), np.int64(ro[a + 3])))
        buf[OUT_SIZE + m + 1] = np.float64(_output(s1, np.int64(ro[b + 2]), np.int64(ro[b + 3])))
    if n_models % 2 == 1:
        a = meta_at + 4 * (n_models - 1)
        s = bin_tree_sum(alive, leaf_off, leaf_w, np.int64(ro[a]), np.int64(ro[a + 1]))
        buf[OUT_SIZE + n_models - 1] = np.float64(_output(s, np.int64(ro[a + 2]), np.int64(ro[a + 3])))
    if n_models == 2:  # (p_short, p_mid): the ensemble's common case (engine.ensemble_kernel)
        decision = buf[decision_at : decision_at + SIZE_OF]
        decide_common(decision, buf[OUT_SIZE], buf[OUT_SIZE + 1], out[OUT_VOL_Z], out[OUT_LIQUIDITY])
    return True


def _pack(trees) -> np.ndarray:
    """The binned evaluator's read-only arrays but the table as one float64 array (each array argument
    of a numba call costs ~0.04 µs to unbox): ``[n_bounds, n_features, n_models, n_leaf_offsets,
    bound_offsets, row_offsets, meta, leaf_offsets, bounds, leaf_weights]``. The integers are far below
    2**53 and the float32 values widen exactly, so the kernel reads back what the evaluator holds.
    Shared by every instrument of the bundle."""
    bounds, bound_off, row_off, _, leaf_off, leaf_w = trees._bins
    header = (bounds.size, trees.n_features, trees.n_models, leaf_off.size)
    ints = np.concatenate((header, bound_off, row_off, trees.meta.ravel(), leaf_off))
    assert len(header) == _RO_HEADER and np.abs(ints).max() < 2**53
    ro = np.concatenate((ints.astype(np.float64), bounds, leaf_w), dtype=np.float64)
    ro.flags.writeable = False
    return ro


_COLUMN = {name: i for i, name in enumerate(FEATURE_NAMES)}


class FusedBarStep:
    """Feature update + model scores of one instrument's bars in one numba call (not thread-safe).

    Parameters
    ----------
    features : IncrementalFeatures
        The instrument's feature state; its buffers move into the step's own array
        (:meth:`~engine.features.vector.IncrementalFeatures.move_to`) and are updated in place there, so
        its ``ready`` / ``vol_z`` / ``atr`` / ``liquidity`` and its row read as after ``update``. A second
        step over the same features takes them over: the first one must not step any more.
    trees : engine.models.tree_numba.TreeBundleEvaluator
        The bundle's binned evaluator (``method == "bins"``), one program per model.
    packed : numpy.ndarray, optional
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
    decision : numpy.ndarray
        The ensemble's numbers of the last ready row, when terms are loaded (:meth:`load_terms`):
        ``engine.ensemble_kernel``'s result slots, ``TERMS_ID`` telling which load they came from (-1: none).
    """

    __slots__ = ("_decision", "_disabled", "_keep", "decision", "row", "scores", "step")

    def __init__(self, features: IncrementalFeatures, trees, packed=None) -> None:
        if trees.bins is None:
            raise ValueError("the fused step needs the binned tree layout")
        n, n_models = trees.n_features, trees.n_models
        x_at = OUT_SIZE + n_models
        # one float64 argument for every per-instrument buffer (see _bar_kernel): the feature state and
        # its output move into it, so ``features`` reads as after ``update``
        decision_at = x_at + 2 * n
        buf = np.zeros(decision_at + SIZE_OF + features._state.size)
        features.move_to(buf[:OUT_SIZE], buf[decision_at + SIZE_OF :])
        self.row = features._row
        self.scores = buf[OUT_SIZE:x_at]
        self._keep = buf[x_at + n : decision_at]
        self._keep[:] = 1.0
        self._decision = buf[decision_at : decision_at + SIZE_OF]
        self._decision[ACTIVE_ID] = -1.0
        self.decision = self._decision[:RESULTS]
        self._disabled: tuple[str, ...] = ()
        alive = np.zeros_like(trees._alive_bins)
        arrays = (buf, alive, packed if packed is not None else _pack(trees), trees._bins[3])
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

    def load_terms(self, terms, bucket_limit_pct: float, terms_id: int) -> None:
        """Decide in the kernel from the next bar on, with ``terms`` (no RL model) and this bucket limit;
        each result carries ``terms_id``."""
        load_terms(self._decision, terms, bucket_limit_pct, terms_id)

    def unload_terms(self) -> None:
        """Stop deciding in the kernel."""
        unload_terms(self._decision)


def _compiled(arrays: tuple[np.ndarray, ...]):
    """The kernel compiled (or loaded from numba's cache) for these arrays and five float64 bar values, as
    its direct entry point: the dispatcher resolves every argument's type on each call (~0.4 µs of a
    ~1 µs call when it took eight arrays). The arrays are fixed for the step's life, so their types
    cannot change; the bar values are unboxed as float64 either way."""
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
        _HERE.parent / "ensemble_kernel.py",
    ],
    tag="fused_step",
)
