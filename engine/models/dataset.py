"""Supervised datasets for the baseline models: forward up-move labels and a time-ordered split.

Pure NumPy: no I/O. Features are computed per instrument by the caller (never across instruments);
this module attaches labels, drops unusable rows, stacks instruments in time order and splits them
into train and validation with a gap of at least the label horizon, so that no training label window
reaches into the validation period.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.models.errors import DatasetError


@dataclass(frozen=True)
class LabelledRows:
    """Feature rows with labels, in time order.

    Attributes
    ----------
    features : np.ndarray
        ``(N, F)`` float64, all finite.
    labels : np.ndarray
        ``(N,)`` int8, 1 when ``close[t + horizon] > close[t]``.
    ts : np.ndarray
        ``(N,)`` int64, the bar close time of the row (nanoseconds).
    label_end_ts : np.ndarray
        ``(N,)`` int64, the close time of the bar whose close decides the label.
    instrument : np.ndarray
        ``(N,)`` int32, index of the instrument the row belongs to.
    """

    features: np.ndarray
    labels: np.ndarray
    ts: np.ndarray
    label_end_ts: np.ndarray
    instrument: np.ndarray

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def take(self, index: np.ndarray) -> LabelledRows:
        """Return the rows selected by an integer or boolean index."""
        return LabelledRows(
            features=self.features[index],
            labels=self.labels[index],
            ts=self.ts[index],
            label_end_ts=self.label_end_ts[index],
            instrument=self.instrument[index],
        )


@dataclass(frozen=True)
class TimeSplit:
    """Row indices of a time-ordered split and its boundaries.

    Every training row has ``ts <= train_end_ns`` and ``label_end_ts < valid_start_ns``; every
    validation row has ``ts >= valid_start_ns``.
    """

    train_index: np.ndarray
    valid_index: np.ndarray
    train_end_ns: int
    valid_start_ns: int
    gap_bars: int


def up_move_labels(close: np.ndarray, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Label each bar 1 when the close ``horizon`` bars later is strictly higher, else 0.

    Parameters
    ----------
    close : np.ndarray
        ``(N,)`` closes of one instrument, in time order.
    horizon : int
        Label horizon in bars (``>= 1``).

    Returns
    -------
    labels : np.ndarray
        ``(N,)`` int8; 0 where unavailable.
    available : np.ndarray
        ``(N,)`` bool; False for the last ``horizon`` bars, whose future close is unknown.
    """
    if horizon < 1:
        raise DatasetError(f"label horizon must be >= 1 bar, got {horizon}")
    close = np.asarray(close, dtype=np.float64)
    n = close.shape[0]
    labels = np.zeros(n, dtype=np.int8)
    available = np.zeros(n, dtype=bool)
    if n > horizon:
        labels[: n - horizon] = (close[horizon:] > close[: n - horizon]).astype(np.int8)
        available[: n - horizon] = True
    return labels, available


def label_instrument(
    features: np.ndarray, close: np.ndarray, ts: np.ndarray, horizon: int, instrument: int
) -> LabelledRows:
    """Attach labels to one instrument's feature matrix and drop unusable rows.

    A row is dropped when any feature is not finite (warm-up) or its label is unavailable (tail).

    Parameters
    ----------
    features : np.ndarray
        ``(N, F)`` feature matrix of one instrument, row ``t`` computed from bars ``<= t``.
    close, ts : np.ndarray
        ``(N,)`` closes and bar close times (int64 nanoseconds) of the same bars.
    horizon : int
        Label horizon in bars.
    instrument : int
        Index stored in ``LabelledRows.instrument``.
    """
    features = np.asarray(features, dtype=np.float64)
    ts = np.asarray(ts, dtype=np.int64)
    n = ts.shape[0]
    if features.shape[0] != n or np.shape(close)[0] != n:
        raise DatasetError(f"features ({features.shape[0]}), close and ts ({n}) lengths differ")
    labels, available = up_move_labels(close, horizon)
    label_end = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    if n > horizon:
        label_end[: n - horizon] = ts[horizon:]
    return usable_rows(features, labels, ts, label_end, available, instrument)


def usable_rows(
    features: np.ndarray,
    labels: np.ndarray,
    ts: np.ndarray,
    label_end: np.ndarray,
    available: np.ndarray,
    instrument: int,
) -> LabelledRows:
    """The rows whose label is ``available`` and whose features are all finite (warm-up dropped)."""
    keep = available & np.isfinite(features).all(axis=1)
    return LabelledRows(
        features=features[keep],
        labels=labels[keep],
        ts=ts[keep],
        label_end_ts=label_end[keep],
        instrument=np.full(int(keep.sum()), instrument, dtype=np.int32),
    )


def stack_in_time_order(parts: list[LabelledRows]) -> LabelledRows:
    """Concatenate per-instrument rows and sort them by ``(ts, instrument)`` (stable)."""
    if not parts:
        raise DatasetError("no instruments to stack")
    rows = LabelledRows(
        features=np.concatenate([p.features for p in parts], axis=0),
        labels=np.concatenate([p.labels for p in parts]),
        ts=np.concatenate([p.ts for p in parts]),
        label_end_ts=np.concatenate([p.label_end_ts for p in parts]),
        instrument=np.concatenate([p.instrument for p in parts]),
    )
    order = np.lexsort((rows.instrument, rows.ts))
    return rows.take(order)


def time_split(rows: LabelledRows, *, train_fraction: float, gap_bars: int, interval_ns: int) -> TimeSplit:
    """Split time-ordered rows into train (first ``train_fraction`` of rows by time) and validation.

    The training period ends at the time ``train_end`` of the row at the ``train_fraction`` quantile
    (all rows at that time are training rows). Validation starts strictly after both
    ``train_end + gap_bars * interval_ns`` and the latest training label end, so no training label
    window overlaps the validation period, even across data gaps.

    Parameters
    ----------
    rows : LabelledRows
        Rows sorted by time (see ``stack_in_time_order``).
    train_fraction : float
        Fraction of rows, by time, used for training; in ``(0, 1)``.
    gap_bars : int
        Gap in bars, at least the label horizon.
    interval_ns : int
        Bar interval in nanoseconds.

    Raises
    ------
    DatasetError
        When either side of the split is empty or the rows are not sorted.
    """
    if not 0.0 < train_fraction < 1.0:
        raise DatasetError(f"train_fraction must be in (0, 1), got {train_fraction}")
    n = len(rows)
    if n < 2:
        raise DatasetError(f"need at least 2 rows to split, got {n}")
    if np.any(np.diff(rows.ts) < 0):
        raise DatasetError("rows must be sorted by ts before splitting")
    cut = max(1, min(n - 1, int(n * train_fraction)))
    train_end = int(rows.ts[cut - 1])
    train_mask = rows.ts <= train_end
    boundary = max(train_end + gap_bars * interval_ns, int(rows.label_end_ts[train_mask].max()))
    valid_mask = rows.ts > boundary
    train_index = np.flatnonzero(train_mask)
    valid_index = np.flatnonzero(valid_mask)
    if valid_index.size == 0:
        raise DatasetError(
            f"validation set is empty: train ends {train_end}, gap {gap_bars} bars; need more data"
        )
    return TimeSplit(
        train_index=train_index,
        valid_index=valid_index,
        train_end_ns=train_end,
        valid_start_ns=int(rows.ts[valid_index[0]]),
        gap_bars=gap_bars,
    )
