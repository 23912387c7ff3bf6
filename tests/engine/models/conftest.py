"""Fixtures for the model layer: a small recording and baseline models trained on it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from adapters.recorded import write_recording
from schemas.market import Bar
from schemas.recording import InstrumentSpec

START_NS = 1_677_628_800_000_000_000  # 2023-03-01T00:00:00Z
MINUTE_NS = 60_000_000_000


def write_random_walk_recording(out: Path, *, n_bars: int = 1500, n_instruments: int = 2, seed: int = 0):
    """Write a recording of geometric random-walk 1-minute bars; return its manifest."""
    rng = np.random.default_rng(seed)
    bars, specs = [], []
    for j in range(n_instruments):
        instrument = f"SIM{j}.TEST"
        specs.append(
            InstrumentSpec(
                instrument_id=instrument,
                kind="crypto_spot",
                base_currency=f"S{j}",
                quote_currency="USD",
                price_precision=4,
                size_precision=4,
            )
        )
        close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 1e-3, n_bars)))
        volume = rng.gamma(2.0, 10.0, n_bars)
        for t in range(n_bars):
            open_ = float(close[t - 1]) if t else float(close[0])
            c = float(close[t])
            bars.append(
                Bar(
                    instrument=instrument,
                    interval_s=60,
                    ts_event=START_NS + (t + 1) * MINUTE_NS,
                    open=open_,
                    high=max(open_, c) * 1.0004,
                    low=min(open_, c) * 0.9996,
                    close=c,
                    volume=float(volume[t]),
                )
            )
    return write_recording(out, bars, source="test:random-walk", synthetic=True, instruments=specs)


@pytest.fixture(scope="session")
def recording_dir(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("recording")
    write_random_walk_recording(path)
    return path


@pytest.fixture(scope="session")
def trained_dir(tmp_path_factory, recording_dir) -> Path:
    """Baseline models trained on ``recording_dir`` (small: 40 trees); do not modify, copy first."""
    from aureus.train import TrainConfig, train_baseline

    out = tmp_path_factory.mktemp("models")
    train_baseline(recording_dir, out, seed=11, config=TrainConfig(n_estimators=40, min_data_in_leaf=50))
    return out
