"""Property: changing inputs after index k never changes any output at indices <= k."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import engine.features as F

SMALL = F.FeatureParams(
    return_lags=(1, 2, 3, 5),
    ema_fast=3,
    ema_slow=6,
    rsi_period=3,
    macd_fast=2,
    macd_slow=5,
    macd_signal=3,
    atr_period=3,
    vol_window=4,
    vol_lookback=6,
    volume_window=5,
    liquidity_fast=2,
    liquidity_slow=4,
    corr_window=5,
)


def random_bars(rng: np.random.Generator, n: int, flat: bool, gaps: bool) -> dict[str, np.ndarray]:
    steps = rng.standard_normal(n) * rng.choice([1e-4, 1e-2, 0.1])
    if flat:  # stretches with no movement at all
        steps[rng.random(n) < 0.4] = 0.0
    close = 100.0 * np.exp(np.cumsum(steps))
    spread = np.abs(rng.standard_normal(n)) * close * 1e-3
    bars = {
        "open": close * (1 + rng.standard_normal(n) * 1e-4),
        "high": close + spread,
        "low": close - spread,
        "close": close,
        "volume": np.where(rng.random(n) < (0.4 if flat else 0.0), 0.0, rng.lognormal(0.0, 1.0, n)),
    }
    if gaps:
        for v in bars.values():
            v[rng.random(n) < 0.05] = np.nan
    return bars


def all_outputs(b: dict[str, np.ndarray]) -> list[np.ndarray]:
    x = F.log_returns(b["close"])
    ref = F.log_returns(b["open"])
    return [
        F.ema(b["close"], 4),
        F.rsi(b["close"], 3),
        *F.macd(b["close"], 3, 7, 3),
        F.atr(b["high"], b["low"], b["close"], 3),
        F.vol_zscore(b["close"], 4, 5),
        F.rolling_corr(x, ref, 5),
        F.volume_zscore(b["volume"], 5),
        F.compute_feature_matrix(b["open"], b["high"], b["low"], b["close"], b["volume"], SMALL),
        F.compute_feature_extras(b["open"], b["high"], b["low"], b["close"], b["volume"], SMALL),
    ]


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 120),
    cut_fraction=st.floats(0.0, 1.0),
    flat=st.booleans(),
    gaps=st.booleans(),
)
def test_no_output_depends_on_later_inputs(
    seed: int, n: int, cut_fraction: float, flat: bool, gaps: bool
) -> None:
    rng = np.random.default_rng(seed)
    original = random_bars(rng, n, flat, gaps)
    k = min(n - 1, int(cut_fraction * n))
    altered_tail = random_bars(rng, n, not flat, not gaps)
    altered = {
        name: np.concatenate([v[: k + 1], altered_tail[name][k + 1 :]]) for name, v in original.items()
    }
    for before, after in zip(all_outputs(original), all_outputs(altered), strict=True):
        assert before.shape[0] == n
        assert np.array_equal(before[: k + 1], after[: k + 1], equal_nan=True)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), cut=st.integers(0, 399))
def test_default_feature_matrix_has_no_lookahead(seed: int, cut: int) -> None:
    rng = np.random.default_rng(seed)
    b = random_bars(rng, 400, flat=False, gaps=False)
    tail = random_bars(rng, 400, flat=True, gaps=True)
    altered = {name: np.concatenate([v[: cut + 1], tail[name][cut + 1 :]]) for name, v in b.items()}
    cols = ("open", "high", "low", "close", "volume")
    before = F.compute_feature_matrix(*(b[c] for c in cols), F.FeatureParams())
    after = F.compute_feature_matrix(*(altered[c] for c in cols), F.FeatureParams())
    assert np.array_equal(before[: cut + 1], after[: cut + 1], equal_nan=True)
    assert np.isfinite(before[F.warmup_bars(F.FeatureParams()) :]).all()
