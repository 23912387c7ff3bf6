"""Real-data fixtures (read-only, by path) and plain-numpy reference implementations."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from numpy.lib.stride_tricks import sliding_window_view

DATA = Path("/work/shared/data")
CRYPTO = DATA / "crypto_1m_2023-03_binanceus"
STOCKS = DATA / "stocknet_daily_88" / "price_raw"
EPS = np.finfo(np.float64).eps


def load_crypto(symbol: str) -> dict[str, np.ndarray]:
    frame = pd.read_csv(CRYPTO / f"{symbol}_1m_20230301_20230321.csv")
    return {k: frame[k].to_numpy(np.float64) for k in ("open", "high", "low", "close", "volume")}


def load_stock(ticker: str) -> dict[str, np.ndarray]:
    frame = pd.read_csv(STOCKS / f"{ticker}.csv")
    return {k.lower(): frame[k].to_numpy(np.float64) for k in ("Open", "High", "Low", "Close", "Volume")}


@pytest.fixture(scope="session")
def btcusdt() -> dict[str, np.ndarray]:
    return load_crypto("BTCUSDT")


@pytest.fixture(scope="session")
def btcusd() -> dict[str, np.ndarray]:
    return load_crypto("BTCUSD")


@pytest.fixture(scope="session")
def btcusdc() -> dict[str, np.ndarray]:
    """Thin market: ~44% of 1-minute returns are exactly 0 and ~43% of volumes are 0."""
    return load_crypto("BTCUSDC")


@pytest.fixture(scope="session")
def aapl() -> dict[str, np.ndarray]:
    return load_stock("AAPL")


REAL_SERIES = ["btcusdt", "btcusd", "btcusdc", "aapl"]


@pytest.fixture(params=REAL_SERIES)
def bars(request: pytest.FixtureRequest) -> dict[str, np.ndarray]:
    return request.getfixturevalue(request.param)


# ------------------------------------------------------------------ plain numpy references (two-pass)
def _flat(windows: np.ndarray, mean: np.ndarray, var: np.ndarray) -> np.ndarray:
    n = windows.shape[1]
    return (windows == windows[:, :1]).all(axis=1) | (var <= 4.0 * n * EPS * mean * mean) | (var <= 0.0)


def reference_zscore(x: np.ndarray, window: int) -> np.ndarray:
    """z of the newest value against the last ``window`` values (ddof=0); 0.0 for a constant window."""
    out = np.full(x.shape[0], np.nan)
    if x.shape[0] < window:
        return out
    w = sliding_window_view(x, window)
    mean = w.mean(axis=1)
    var = ((w - mean[:, None]) ** 2).mean(axis=1)
    flat = _flat(w, mean, var)
    out[window - 1 :] = np.where(flat, 0.0, (w[:, -1] - mean) / np.sqrt(np.where(flat, 1.0, var)))
    return out


def reference_vol_zscore(close: np.ndarray, window: int, lookback: int) -> np.ndarray:
    out = np.full(close.shape[0], np.nan)
    r = np.log(close[1:] / close[:-1])
    if r.shape[0] < window:
        return out
    w = sliding_window_view(r, window)
    mean = w.mean(axis=1)
    var = ((w - mean[:, None]) ** 2).mean(axis=1)
    sigma = np.where(_flat(w, mean, var), 0.0, np.sqrt(var))
    out[window:] = reference_zscore(sigma, lookback)
    return out


def reference_corr(x: np.ndarray, y: np.ndarray, window: int) -> np.ndarray:
    out = np.full(x.shape[0], np.nan)
    if x.shape[0] < window:
        return out
    wx, wy = sliding_window_view(x, window), sliding_window_view(y, window)
    mx, my = wx.mean(axis=1), wy.mean(axis=1)
    dx, dy = wx - mx[:, None], wy - my[:, None]
    vx, vy, cxy = (dx * dx).mean(axis=1), (dy * dy).mean(axis=1), (dx * dy).mean(axis=1)
    flat = _flat(wx, mx, vx) | _flat(wy, my, vy)
    r = np.where(flat, 0.0, cxy / np.sqrt(np.where(flat, 1.0, vx * vy)))
    out[window - 1 :] = np.clip(r, -1.0, 1.0)
    return out


@pytest.fixture(scope="session")
def references() -> SimpleNamespace:
    """The numpy references, as a fixture (test modules must not ``import conftest``: other test
    directories have their own conftest.py)."""
    return SimpleNamespace(zscore=reference_zscore, vol_zscore=reference_vol_zscore, corr=reference_corr)


@pytest.fixture(scope="session")
def stock_loader() -> Callable[[str], dict[str, np.ndarray]]:
    return load_stock
