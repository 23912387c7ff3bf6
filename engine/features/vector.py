"""The model feature vector: the contract between training (batch) and live inference (incremental).

``compute_feature_matrix`` (research) and ``IncrementalFeatures`` (live) run the same numba step
(:func:`engine.features.vector_kernel.features_step`), so a live row is bit-identical to the training row
of the same bar. ``feature_schema_id`` fingerprints names + windows so a model trained on other windows is
refused.

Columns (``FEATURE_NAMES``), for bar t:

* ``ret_k`` = log(close_t / close_{t-k}) for the lags in ``FeatureParams.return_lags`` (default 1, 5, 15, 60),
* ``ema_gap_12``, ``ema_gap_48`` = close / EMA_n - 1 (TA-Lib EMA),
* ``rsi_14`` = RSI_14 / 100 - 0.5,
* ``macd_hist_norm`` = MACD(12, 26, 9) histogram / close,
* ``atr_norm`` = ATR_14 / close,
* ``vol_z`` = volatility z-score (window 30, lookback 240),
* ``volume_z`` = volume z-score over 60 bars.

The names are column identities; the actual windows are the ``FeatureParams`` fields and are part of the
schema id. Missing bars (any non-finite input, or close <= 0) give a NaN row and leave the state untouched.
"""

from __future__ import annotations

import hashlib
from typing import Annotated

import msgspec
import numpy as np
from numpy.typing import ArrayLike, NDArray

from engine.features import vector_kernel as vk
from engine.features.batch import as_float_array
from engine.features.incremental import IncrementalCorrelation
from engine.features.vector_batch import features_batch_local

__all__ = [
    "FEATURE_NAMES",
    "FEATURE_SCHEMA_VERSION",
    "FeatureParams",
    "IncrementalCorrelation",
    "IncrementalFeatures",
    "compute_feature_matrix",
    "compute_features_and_extras",
    "feature_schema_id",
    "warmup_bars",
]

FEATURE_SCHEMA_VERSION = "1"
FEATURE_NAMES: tuple[str, ...] = (
    "ret_1",
    "ret_5",
    "ret_15",
    "ret_60",
    "ema_gap_12",
    "ema_gap_48",
    "rsi_14",
    "macd_hist_norm",
    "atr_norm",
    "vol_z",
    "volume_z",
)
assert len(FEATURE_NAMES) == vk.N_FEATURES

Window = Annotated[int, msgspec.Meta(ge=1, le=1_000_000)]


class FeatureParams(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """Windows of every feature (bars). Frozen; part of :func:`feature_schema_id`.

    Attributes
    ----------
    return_lags : tuple of 4 int
        Lags k of ``ret_1, ret_5, ret_15, ret_60`` (in that column order).
    ema_fast, ema_slow : int
        Spans of ``ema_gap_12`` and ``ema_gap_48``.
    rsi_period : int
        Wilder period of ``rsi_14``.
    macd_fast, macd_slow, macd_signal : int
        MACD spans; ``macd_fast`` must be below ``macd_slow``.
    atr_period : int
        Wilder period of ``atr_norm`` and of the raw ``atr`` extra.
    vol_window, vol_lookback : int
        Return window of sigma and the number of sigmas the ``vol_z`` z-score covers.
    volume_window : int
        Window of ``volume_z``.
    liquidity_fast, liquidity_slow : int
        Volume EMA spans of the ``liquidity`` extra (not a model input).
    corr_window : int
        Window of the return correlation the strategy keeps with :class:`IncrementalCorrelation`.
    """

    return_lags: tuple[Window, Window, Window, Window] = (1, 5, 15, 60)
    ema_fast: Window = 12
    ema_slow: Window = 48
    rsi_period: Window = 14
    macd_fast: Window = 12
    macd_slow: Window = 26
    macd_signal: Window = 9
    atr_period: Window = 14
    vol_window: Window = 30
    vol_lookback: Window = 240
    volume_window: Window = 60
    liquidity_fast: Window = 15
    liquidity_slow: Window = 240
    corr_window: Window = 60

    def __post_init__(self) -> None:
        # msgspec enforces the Meta bounds when decoding; direct construction is checked here.
        for name in self.__struct_fields__:
            values = getattr(self, name)
            for value in values if isinstance(values, tuple) else (values,):
                if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                    raise ValueError(f"{name} must hold integers >= 1, got {values!r}")
        if self.macd_fast >= self.macd_slow:
            raise ValueError(f"macd_fast ({self.macd_fast}) must be < macd_slow ({self.macd_slow})")
        if self.liquidity_fast > self.liquidity_slow:
            raise ValueError(
                f"liquidity_fast ({self.liquidity_fast}) must be <= liquidity_slow ({self.liquidity_slow})"
            )


_SCHEMA_ENCODER = msgspec.json.Encoder(order="sorted")


def feature_schema_id(params: FeatureParams) -> str:
    """Stable 16-hex-digit fingerprint of the schema version, the column names and every window.

    Parameters
    ----------
    params : FeatureParams
        The windows the features are computed with.

    Returns
    -------
    str
        ``sha256`` of the canonical (key-sorted) JSON of version + names + params, first 16 hex digits.
        Equal params give equal ids across processes and machines; a model whose manifest carries another
        id must be refused.
    """
    payload = {
        "version": FEATURE_SCHEMA_VERSION,
        "names": list(FEATURE_NAMES),
        "params": msgspec.to_builtins(params),
    }
    return hashlib.sha256(_SCHEMA_ENCODER.encode(payload)).hexdigest()[:16]


def warmup_bars(params: FeatureParams) -> int:
    """Index of the first row in which every column is finite, for a gap-free series.

    Equivalently, the number of leading rows of :func:`compute_feature_matrix` that contain a NaN.
    """
    p = params
    return max(
        max(p.return_lags),
        p.ema_fast - 1,
        p.ema_slow - 1,
        p.rsi_period,
        p.macd_slow + p.macd_signal - 2,
        p.atr_period,
        p.vol_window + p.vol_lookback - 1,
        p.volume_window - 1,
    )


def _new_state(params: FeatureParams) -> NDArray[np.float64]:
    p = params
    lags = np.asarray(p.return_lags, dtype=np.int64)
    _, size = vk.features_layout(int(lags.max()), p.vol_window, p.vol_lookback, p.volume_window)
    state = np.zeros(size)
    vk.features_init(
        state,
        lags,
        p.ema_fast,
        p.ema_slow,
        p.rsi_period,
        p.macd_fast,
        p.macd_slow,
        p.macd_signal,
        p.atr_period,
        p.vol_window,
        p.vol_lookback,
        p.volume_window,
        p.liquidity_fast,
        p.liquidity_slow,
    )
    return state


def _run_batch(
    open_: ArrayLike,
    high: ArrayLike,
    low: ArrayLike,
    close: ArrayLike,
    volume: ArrayLike,
    params: FeatureParams,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    arrays = [
        as_float_array(a, name)
        for a, name in ((open_, "open"), (high, "high"), (low, "low"), (close, "close"), (volume, "volume"))
    ]
    n = arrays[0].shape[0]
    if any(a.shape[0] != n for a in arrays):
        raise ValueError(f"input lengths differ: {[a.shape[0] for a in arrays]}")
    matrix = np.empty((n, vk.N_FEATURES))
    extras = np.empty((n, vk.OUT_SIZE - vk.N_FEATURES))
    features_batch_local(_new_state(params), *arrays, matrix, extras)  # == vk.features_batch, faster
    return matrix, extras


def compute_feature_matrix(
    open: ArrayLike,  # noqa: A002 - the contract names the bar fields
    high: ArrayLike,
    low: ArrayLike,
    close: ArrayLike,
    volume: ArrayLike,
    params: FeatureParams,
) -> NDArray[np.float64]:
    """Feature matrix of a bar series (training side of the contract).

    Parameters
    ----------
    open, high, low, close, volume : array_like
        Bar fields, equal lengths N.
    params : FeatureParams
        Windows.

    Returns
    -------
    numpy.ndarray
        float64 of shape (N, len(FEATURE_NAMES)), columns in ``FEATURE_NAMES`` order. Rows before
        ``warmup_bars(params)`` contain NaN; rows of missing bars are all NaN. Row i depends only on bars
        0..i (no look-ahead).
    """
    return _run_batch(open, high, low, close, volume, params)[0]


def compute_feature_extras(
    open: ArrayLike,  # noqa: A002
    high: ArrayLike,
    low: ArrayLike,
    close: ArrayLike,
    volume: ArrayLike,
    params: FeatureParams,
) -> NDArray[np.float64]:
    """Ensemble extras per bar as an (N, 3) array: columns ``vol_z``, ``atr`` (raw), ``liquidity``.

    Same values as the :class:`IncrementalFeatures` attributes after each update.
    """
    return _run_batch(open, high, low, close, volume, params)[1][:, :3].copy()


def compute_features_and_extras(
    open: ArrayLike,  # noqa: A002
    high: ArrayLike,
    low: ArrayLike,
    close: ArrayLike,
    volume: ArrayLike,
    params: FeatureParams,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]]:
    """:func:`compute_feature_matrix`, :func:`compute_feature_extras` and the ready mask from one pass.

    Returns ``(matrix (N, 11), extras (N, 3), ready (N,))``: the first two equal to what those functions
    return, ``ready`` True where every column of the row is finite (the kernel's own flag).
    """
    matrix, extras = _run_batch(open, high, low, close, volume, params)
    return matrix, extras[:, :3], extras[:, 3] != 0.0


class IncrementalFeatures:
    """Live feature state of one instrument: one numba call per bar updates every indicator.

    Parameters
    ----------
    params : FeatureParams
        Windows; must equal the training params (compare :func:`feature_schema_id`).

    Attributes
    ----------
    params : FeatureParams
    schema_id : str
        ``feature_schema_id(params)``.

    Notes
    -----
    ``update`` returns a view of an internal buffer that the next ``update`` overwrites; copy it
    (``row.copy()``) to keep it. Rows are bit-identical to :func:`compute_feature_matrix` on the same bars.
    """

    __slots__ = ("_out", "_row", "_state", "params", "schema_id")

    def __init__(self, params: FeatureParams) -> None:
        self.params = params
        self.schema_id = feature_schema_id(params)
        self._state = _new_state(params)
        self._out = np.full(vk.OUT_SIZE, np.nan)
        self._out[vk.OUT_READY] = 0.0
        self._row = self._out[: vk.N_FEATURES]

    def update(
        self, open: float, high: float, low: float, close: float, volume: float
    ) -> NDArray[np.float64]:  # noqa: A002
        """Consume one bar and return its feature row (an internal buffer, overwritten next call).

        A bar with a non-finite field or a close <= 0 is skipped: the state is unchanged and the row is NaN.
        """
        vk.features_step(
            self._state, float(open), float(high), float(low), float(close), float(volume), self._out
        )
        return self._row

    def move_to(self, out: NDArray[np.float64], state: NDArray[np.float64]) -> None:
        """Keep the output and the state in these float64 buffers from now on (their current values are
        copied in), e.g. views into one array that a fused kernel takes as a single argument.

        ``out`` must be ``OUT_SIZE`` long and ``state`` the state's size. A row returned before the move is a
        view of the old buffer: it no longer follows the updates.
        """
        if out.shape != self._out.shape or state.shape != self._state.shape:
            raise ValueError(
                f"buffers of shapes {out.shape}, {state.shape}; want {self._out.shape}, {self._state.shape}"
            )
        out[:] = self._out
        state[:] = self._state
        self._out, self._state = out, state
        self._row = out[: vk.N_FEATURES]

    @property
    def ready(self) -> bool:
        """True when every column of the last row is finite."""
        return self._out.item(vk.OUT_READY) != 0.0

    @property
    def vol_z(self) -> float:
        """Volatility z-score of the last bar (NaN during warm-up)."""
        return self._out.item(vk.OUT_VOL_Z)

    @property
    def atr(self) -> float:
        """Raw ATR (price units, ``atr_period``) of the last bar (NaN during warm-up)."""
        return self._out.item(vk.OUT_ATR)

    @property
    def liquidity(self) -> float:
        """clip(EMA(volume, fast) / EMA(volume, slow), 0, 1); 0.0 when the slow EMA is 0; NaN in warm-up."""
        return self._out.item(vk.OUT_LIQUIDITY)
