"""Feature vector contract: names, params, schema id, warm-up, column formulas, live state extras."""

from __future__ import annotations

import math

import msgspec
import numpy as np
import pytest
import talib

import engine.features as F
from engine.features import vector
from engine.features.vector_kernel import OUT_SIZE


def cols(bars: dict[str, np.ndarray]) -> list[np.ndarray]:
    return [bars[k] for k in ("open", "high", "low", "close", "volume")]


def test_names_and_version() -> None:
    assert F.FEATURE_SCHEMA_VERSION == "1"
    assert F.FEATURE_NAMES == (
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
    assert vector.IncrementalCorrelation is F.IncrementalCorrelation


def test_params_defaults_frozen_and_strict() -> None:
    p = F.FeatureParams()
    assert (
        p.vol_window,
        p.vol_lookback,
        p.volume_window,
        p.liquidity_fast,
        p.liquidity_slow,
        p.corr_window,
    ) == (
        30,
        240,
        60,
        15,
        240,
        60,
    )
    with pytest.raises(AttributeError):
        p.ema_fast = 3  # type: ignore[misc]
    with pytest.raises(msgspec.ValidationError, match="unknown field"):
        msgspec.json.decode(b'{"ema_fastt": 3}', type=F.FeatureParams)
    with pytest.raises(msgspec.ValidationError, match=r"ema_slow"):
        msgspec.json.decode(b'{"ema_slow": 0}', type=F.FeatureParams)
    with pytest.raises(msgspec.ValidationError, match="macd_fast"):
        msgspec.json.decode(b'{"macd_fast": 30}', type=F.FeatureParams)
    with pytest.raises(ValueError, match="atr_period"):
        F.FeatureParams(atr_period=0)
    with pytest.raises(TypeError):
        F.FeatureParams(14)  # type: ignore[misc]  # kw_only
    assert msgspec.json.decode(msgspec.json.encode(p), type=F.FeatureParams) == p


def test_schema_id_is_stable_and_sensitive_to_every_window() -> None:
    base = F.feature_schema_id(F.FeatureParams())
    assert base == F.feature_schema_id(F.FeatureParams())
    assert len(base) == 16 and int(base, 16) >= 0
    assert base == "96929ef6b3352cac"  # golden: changing it means every trained model is refused
    changes = {
        "return_lags": (1, 5, 15, 30),
        "ema_fast": 10,
        "ema_slow": 50,
        "rsi_period": 7,
        "macd_fast": 8,
        "macd_slow": 21,
        "macd_signal": 5,
        "atr_period": 10,
        "vol_window": 20,
        "vol_lookback": 120,
        "volume_window": 30,
        "liquidity_fast": 10,
        "liquidity_slow": 120,
        "corr_window": 30,
    }
    assert set(changes) == set(F.FeatureParams.__struct_fields__)
    ids = {F.feature_schema_id(F.FeatureParams(**{k: v})) for k, v in changes.items()}
    assert base not in ids and len(ids) == len(changes)


def test_warmup_bars_is_first_all_finite_row(btcusdt: dict[str, np.ndarray]) -> None:
    params = F.FeatureParams()
    w = F.warmup_bars(params)
    assert w == 269  # vol_z: 30 + 240 - 1
    m = F.compute_feature_matrix(*cols(btcusdt), params)
    assert m.shape == (btcusdt["close"].shape[0], len(F.FEATURE_NAMES)) and m.dtype == np.float64
    assert np.isnan(m[w - 1]).any() and np.isfinite(m[w:]).all()
    short = F.FeatureParams(vol_window=5, vol_lookback=10)
    assert F.warmup_bars(short) == 60  # now ret_60 is the longest
    m = F.compute_feature_matrix(*cols(btcusdt), short)
    assert np.isnan(m[59]).any() and np.isfinite(m[60:]).all()


def test_columns_follow_their_definitions(btcusdt: dict[str, np.ndarray]) -> None:
    o, h, lo, c, v = cols(btcusdt)
    m = F.compute_feature_matrix(o, h, lo, c, v, F.FeatureParams())
    w = F.warmup_bars(F.FeatureParams())

    def lagged(k: int) -> np.ndarray:
        out = np.full(c.shape[0], np.nan)
        out[k:] = np.log(c[k:] / c[:-k])
        return out

    expected = {
        "ret_1": lagged(1),
        "ret_5": lagged(5),
        "ret_15": lagged(15),
        "ret_60": lagged(60),
        "ema_gap_12": c / talib.EMA(c, 12) - 1,
        "ema_gap_48": c / talib.EMA(c, 48) - 1,
        "rsi_14": talib.RSI(c, 14) / 100 - 0.5,
        "macd_hist_norm": talib.MACD(c, 12, 26, 9)[2] / c,
        "atr_norm": talib.ATR(h, lo, c, 14) / c,
        "vol_z": F.vol_zscore(c, 30, 240),
        "volume_z": F.volume_zscore(v, 60),
    }
    for j, name in enumerate(F.FEATURE_NAMES):
        np.testing.assert_allclose(m[w:, j], expected[name][w:], rtol=1e-9, atol=1e-12, err_msg=name)
        if name in ("vol_z", "volume_z"):  # the same kernels, so bit-identical (np.log != libm log bitwise)
            assert np.array_equal(m[:, j], expected[name], equal_nan=True), name


def test_live_extras(btcusdt: dict[str, np.ndarray]) -> None:
    o, h, lo, c, v = cols(btcusdt)
    params = F.FeatureParams()
    extras = F.compute_feature_extras(o, h, lo, c, v, params)
    np.testing.assert_array_equal(extras[:, 0], F.vol_zscore(c, 30, 240))
    np.testing.assert_array_equal(extras[:, 1], F.atr(h, lo, c, 14))
    fast, slow = F.ema(v, 15), F.ema(v, 240)
    with np.errstate(divide="ignore", invalid="ignore"):
        liquidity = np.where(slow == 0.0, 0.0, np.clip(fast / slow, 0.0, 1.0))
    liquidity[np.isnan(slow)] = np.nan
    np.testing.assert_array_equal(extras[:, 2], liquidity)
    assert np.isnan(extras[238, 2]) and np.isfinite(extras[239:, 2]).all()
    assert 0.0 < np.nanmean(extras[:, 2]) < 1.0 and np.nanmax(extras[:, 2]) == 1.0


def test_liquidity_is_zero_when_nothing_traded() -> None:
    n = 300
    c = np.full(n, 10.0)
    live = F.IncrementalFeatures(F.FeatureParams())
    for _ in range(n):
        live.update(10.0, 10.0, 10.0, 10.0, 0.0)
    assert live.liquidity == 0.0 and live.atr == 0.0 and live.vol_z == 0.0 and live.ready
    assert F.compute_feature_extras(c, c, c, c, np.zeros(n), F.FeatureParams())[-1, 2] == 0.0


def test_update_returns_an_internal_buffer_that_is_overwritten() -> None:
    live = F.IncrementalFeatures(F.FeatureParams())
    assert not live.ready and math.isnan(live.vol_z) and math.isnan(live.liquidity)
    first = live.update(1.0, 1.0, 1.0, 1.0, 1.0)
    kept = first.copy()
    second = live.update(2.0, 2.0, 2.0, 2.0, 1.0)
    assert second is first or np.shares_memory(first, second)
    assert second.shape == (len(F.FEATURE_NAMES),) and second[0] == pytest.approx(math.log(2.0))
    assert np.isnan(kept[0]) and not np.array_equal(kept, second, equal_nan=True)
    assert live.schema_id == F.feature_schema_id(F.FeatureParams())


def test_missing_bar_leaves_live_state_untouched(btcusdt: dict[str, np.ndarray]) -> None:
    params = F.FeatureParams()
    bars = list(zip(*cols(btcusdt), strict=True))[:400]
    a, b = F.IncrementalFeatures(params), F.IncrementalFeatures(params)
    for i, bar in enumerate(bars):
        if i == 350:
            row = b.update(np.nan, 1.0, 1.0, 1.0, 1.0)
            assert np.isnan(row).all() and not b.ready and math.isnan(b.atr)
        assert np.array_equal(a.update(*bar), b.update(*bar), equal_nan=True)
    assert a.ready and b.ready


def test_moved_buffers_carry_on_where_the_old_ones_stopped(btcusdt: dict[str, np.ndarray]) -> None:
    params = F.FeatureParams()
    bars = list(zip(*cols(btcusdt), strict=True))[:400]
    a, b = F.IncrementalFeatures(params), F.IncrementalFeatures(params)
    size = b._state.size
    home = np.zeros(OUT_SIZE + size + 3)
    for i, bar in enumerate(bars):
        if i == 300:  # mid-series: every block holds state by now
            b.move_to(home[:OUT_SIZE], home[3 + OUT_SIZE :])
        assert np.array_equal(a.update(*bar), b.update(*bar), equal_nan=True)
        assert (a.ready, a.vol_z, a.atr, a.liquidity) == pytest.approx(
            (b.ready, b.vol_z, b.atr, b.liquidity), nan_ok=True, rel=0, abs=0
        )
    assert a.ready and np.shares_memory(b.update(*bars[-1]), home)
    with pytest.raises(ValueError, match="buffers of shapes"):
        b.move_to(home[:-1], home[:OUT_SIZE])


def test_cache_guard_stamp_tracks_kernel_sources() -> None:
    # vector_kernel inlines kernels.py / rolling_kernels.py; numba's cache only watches vector_kernel.py,
    # so the guard must have recorded the digest of the current dependency sources.
    import hashlib
    from pathlib import Path

    from engine.features import vector_kernel

    here = Path(vector_kernel.__file__).resolve().parent
    digest = hashlib.sha256(b"".join((here / n).read_bytes() for n in ("kernels.py", "rolling_kernels.py")))
    stamp = Path(vector_kernel.features_step._cache._cache_path) / "vector_kernel.deps"
    assert stamp.read_text() == digest.hexdigest()
