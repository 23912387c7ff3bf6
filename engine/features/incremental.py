"""Per-event indicator state machines: the same numba step code as the batch functions.

Each class keeps a small float64 state array and makes one numba call per ``update``. Feeding a series
element by element gives outputs bit-identical to the batch function in :mod:`engine.features.batch`.
"""

from __future__ import annotations

import numpy as np

from engine.features import kernels
from engine.features.batch import check_period


class IncrementalEMA:
    """Streaming :func:`engine.features.ema`. ``update(x) -> float`` (NaN during warm-up)."""

    __slots__ = ("_state",)

    def __init__(self, period: int) -> None:
        self._state = np.empty(kernels.EMA_SIZE)
        kernels.ema_init(self._state, 0, check_period(period))

    def update(self, x: float) -> float:
        """Consume one value and return the EMA after it."""
        return kernels.ema_step(self._state, 0, float(x))


class IncrementalRSI:
    """Streaming :func:`engine.features.rsi`. ``update(close) -> float``."""

    __slots__ = ("_state",)

    def __init__(self, period: int) -> None:
        self._state = np.empty(kernels.RSI_SIZE)
        kernels.rsi_init(self._state, 0, check_period(period))

    def update(self, close: float) -> float:
        """Consume one close and return the RSI after it."""
        return kernels.rsi_step(self._state, 0, float(close))


class IncrementalMACD:
    """Streaming :func:`engine.features.macd`. ``update(close) -> (macd, signal, hist)``."""

    __slots__ = ("_state",)

    def __init__(self, fast: int = 12, slow: int = 26, signal: int = 9) -> None:
        self._state = np.empty(kernels.MACD_SIZE)
        kernels.macd_init(
            self._state,
            0,
            check_period(fast, "fast"),
            check_period(slow, "slow"),
            check_period(signal, "signal"),
        )

    def update(self, close: float) -> tuple[float, float, float]:
        """Consume one close and return ``(macd, signal, hist)``."""
        return kernels.macd_step(self._state, 0, float(close))


class IncrementalATR:
    """Streaming :func:`engine.features.atr`. ``update(high, low, close) -> float``."""

    __slots__ = ("_state",)

    def __init__(self, period: int) -> None:
        self._state = np.empty(kernels.ATR_SIZE)
        kernels.atr_init(self._state, 0, check_period(period))

    def update(self, high: float, low: float, close: float) -> float:
        """Consume one bar and return the ATR after it."""
        return kernels.atr_step(self._state, 0, float(high), float(low), float(close))


class IncrementalVolZScore:
    """Streaming :func:`engine.features.vol_zscore`. ``update(close) -> float``."""

    __slots__ = ("_state",)

    def __init__(self, window: int, lookback: int) -> None:
        w, lb = check_period(window, "window"), check_period(lookback, "lookback")
        self._state = np.empty(kernels.volz_size(w, lb))
        kernels.volz_init(self._state, 0, w, lb)

    def update(self, close: float) -> float:
        """Consume one close and return the volatility z-score after it."""
        return kernels.volz_step(self._state, 0, float(close))


class IncrementalZScore:
    """Streaming :func:`engine.features.volume_zscore`. ``update(value) -> float``."""

    __slots__ = ("_state",)

    def __init__(self, window: int) -> None:
        w = check_period(window, "window")
        self._state = np.empty(kernels.zscore_size(w))
        kernels.zscore_init(self._state, 0, w)

    def update(self, value: float) -> float:
        """Consume one value and return its z-score against the window."""
        return kernels.zscore_step(self._state, 0, float(value))


class IncrementalCorrelation:
    """Streaming :func:`engine.features.rolling_corr` (used for the correlation-breakdown penalty).

    Parameters
    ----------
    window : int
        Number of most recent ``(x_ret, ref_ret)`` pairs the Pearson correlation covers.
    """

    __slots__ = ("_state", "value")

    def __init__(self, window: int) -> None:
        w = check_period(window, "window")
        self._state = np.empty(kernels.corr_size(w))
        kernels.corr_init(self._state, 0, w)
        self.value = float("nan")

    def update(self, x_ret: float, ref_ret: float) -> float:
        """Consume one pair of returns and return the correlation (NaN until ``window`` pairs were seen;
        a pair with a non-finite side is skipped and returns NaN)."""
        self.value = kernels.corr_step(self._state, 0, float(x_ret), float(ref_ret))
        return self.value
