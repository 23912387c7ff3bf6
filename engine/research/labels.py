"""Labels for research datasets: fixed-horizon up-moves and first-touch labels net of fees.

The first-touch label matches the strategy's exits: a long entry at ``close[t]`` with a take-profit
``take_profit_atr * ATR%`` above and a stop ``stop_atr * ATR%`` below (ATR% = ``atr_norm``, the same
feature the strategy reads, so targets adapt to volatility). The label is 1 only when the take-profit
is touched first within the horizon *and* its distance exceeds the instrument's round-trip fee, i.e.
the trade would have made money after costs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.models.dataset import LabelledRows, up_move_labels, usable_rows
from engine.research.errors import ResearchError
from engine.research.kernels import TOUCH_TAKE_PROFIT, first_touch

_NEVER = np.iinfo(np.int64).max


@dataclass(frozen=True)
class LabelSpec:
    """One label of a model set.

    Attributes
    ----------
    name : str
        Model name trained on this label (``p_short``, ``p_mid``, ``p_touch``).
    kind : str
        ``"fixed"`` (close ``horizon`` bars later is higher), ``"first_touch"`` (long entry) or
        ``"first_touch_short"`` (short entry: take-profit below, stop above).
    horizon : int
        Horizon in bars.
    take_profit_atr, stop_atr : float
        Barrier distances in multiples of ATR% (first-touch only).
    round_trip_fee : float
        Entry plus exit fee as a fraction of notional (first-touch only).
    """

    name: str
    kind: str
    horizon: int
    take_profit_atr: float = 0.0
    stop_atr: float = 0.0
    round_trip_fee: float = 0.0

    def describe(self) -> str:
        """Human-readable definition written into the manifest."""
        if self.kind == "fixed":
            return f"close[t+{self.horizon}] > close[t]"
        up, down = ("+", "-") if self.kind == "first_touch" else ("-", "+")
        return (
            f"first touch within {self.horizon} bars: close[t]*(1{up}{self.take_profit_atr}*atr_norm) before "
            f"close[t]*(1{down}{self.stop_atr}*atr_norm), and {self.take_profit_atr}*atr_norm > "
            f"round-trip fee {self.round_trip_fee}"
        )


def first_touch_labels(
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    atr_pct: np.ndarray,
    spec: LabelSpec,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """First-touch labels net of the round-trip fee (see the module docstring).

    Returns
    -------
    labels : np.ndarray
        ``(N,)`` int8.
    available : np.ndarray
        ``(N,)`` bool; False where the horizon runs past the data or ATR% is not finite.
    label_end_index : np.ndarray
        ``(N,)`` int64 index of the last bar the label looked at (-1 where unavailable).
    """
    if spec.kind not in ("first_touch", "first_touch_short") or spec.horizon < 1:
        raise ResearchError(f"{spec.name}: not a first-touch label with horizon >= 1: {spec}")
    atr_pct = np.asarray(atr_pct, dtype=np.float64)
    take_profit = spec.take_profit_atr * atr_pct
    stop = spec.stop_atr * atr_pct
    outcome, touch = first_touch(
        np.asarray(high, dtype=np.float64),
        np.asarray(low, dtype=np.float64),
        np.asarray(close, dtype=np.float64),
        take_profit,
        stop,
        spec.horizon,
        1 if spec.kind == "first_touch" else -1,
    )
    available = touch >= 0
    net_positive = take_profit > spec.round_trip_fee
    labels = ((outcome == TOUCH_TAKE_PROFIT) & net_positive & available).astype(np.int8)
    return labels, available, touch


def label_rows(
    spec: LabelSpec,
    features: np.ndarray,
    bars: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    atr_pct: np.ndarray,
    instrument: int,
) -> LabelledRows:
    """Label one instrument's feature rows with ``spec`` and drop rows without a label or features.

    Parameters
    ----------
    spec : LabelSpec
        The label.
    features : np.ndarray
        ``(N, F)`` features, row ``t`` from bars ``<= t``.
    bars : tuple of np.ndarray
        ``(ts, high, low, close)``, each ``(N,)``; ``ts`` int64 bar close times.
    atr_pct : np.ndarray
        ``(N,)`` ATR / close (the ``atr_norm`` feature column).
    instrument : int
        Instrument index stored on the rows.

    Returns
    -------
    LabelledRows
        With ``label_end_ts`` the close time of the last bar the label depends on.
    """
    ts, high, low, close = (np.asarray(a) for a in bars)
    ts = ts.astype(np.int64)
    n = ts.shape[0]
    label_end = np.full(n, _NEVER, dtype=np.int64)
    if spec.kind == "fixed":
        labels, available = up_move_labels(close, spec.horizon)
        if n > spec.horizon:
            label_end[: n - spec.horizon] = ts[spec.horizon :]
    elif spec.kind in ("first_touch", "first_touch_short"):
        labels, available, end_index = first_touch_labels(high, low, close, atr_pct, spec)
        # the label window always spans the full horizon (a later touch was possible), so the purge
        # uses t + horizon even when the touch came earlier: conservative and independent of outcome
        if n > spec.horizon:
            label_end[: n - spec.horizon] = ts[spec.horizon :]
        available = available & (end_index >= 0)
    else:
        raise ResearchError(f"{spec.name}: unknown label kind {spec.kind!r}")
    features = np.asarray(features, dtype=np.float64)
    return usable_rows(features, labels, ts, label_end, available, instrument)
