"""Which model directory a replay loads: set -> promoted version, real data -> its asset class's set."""

from __future__ import annotations

import shutil
from pathlib import Path

import msgspec
import pytest

from aureus.model_sets import models_dir_for
from engine.config import load_config
from engine.research.errors import RegistryError
from engine.research.registry import record_promotion, resolve_model_dir
from schemas.recording import InstrumentSpec

REPO = Path(__file__).resolve().parents[2]


def _spec(kind: str) -> InstrumentSpec:
    return msgspec.convert(
        {
            "instrument_id": "X.SIM",
            "kind": kind,
            "base_currency": "X",
            "quote_currency": "USD",
            "price_precision": 2,
            "size_precision": 2,
            "bar_interval_s": 60,
        },
        InstrumentSpec,
        strict=False,
    )


@pytest.fixture
def real_set(tmp_path):
    set_dir = tmp_path / "btc-real"
    shutil.copytree(
        REPO / "models" / "btc-real" / "wf-1",
        set_dir / "wf-1",
        ignore=shutil.ignore_patterns("*.csv", "*.png"),
    )
    return set_dir


def test_real_recording_uses_the_promoted_version_of_its_asset_class_set(real_set):
    config = load_config(None, [f'research.real_sets.crypto_spot="{real_set}"'])
    chosen, why = models_dir_for(config, [_spec("crypto_spot")], synthetic=False)
    assert chosen == REPO / "models" / "baseline" and "no promoted version" in why
    record_promotion(real_set.parent, real_set.name, "wf-1", {"status": "promoted"})
    chosen, why = models_dir_for(config, [_spec("crypto_spot")], synthetic=False)
    assert chosen == real_set / "wf-1" and "promoted version wf-1" in why
    # synthetic data, another asset class, or an explicit models.dir keep models.dir
    assert models_dir_for(config, [_spec("crypto_spot")], synthetic=True)[0] == REPO / "models" / "baseline"
    assert models_dir_for(config, [_spec("fx")], synthetic=False)[0] == REPO / "models" / "baseline"
    explicit = load_config(None, [f'models.dir="{real_set}"'])
    assert models_dir_for(explicit, [_spec("equity")], synthetic=False)[0] == real_set / "wf-1"


def test_a_set_without_a_promoted_version_is_refused_when_named_directly(real_set):
    record_promotion(real_set.parent, real_set.name, "wf-1", {"status": "rejected"})
    with pytest.raises(RegistryError, match="no promoted version"):
        resolve_model_dir(real_set)


def test_the_simulator_scores_with_the_set_the_replay_would_load(real_set):
    from types import SimpleNamespace

    import numpy as np

    from aureus.sim_run import decisions_for
    from engine.sim import EventBars, SimUnsupportedError

    config = load_config(None, [f'research.real_sets.crypto_spot="{real_set}"'])
    record_promotion(real_set.parent, real_set.name, "wf-1", {"status": "promoted"})
    one = np.ones(1)
    bars = EventBars(
        ts=np.ones(1, np.int64), inst=np.zeros(1, np.int64), open=one, high=one, low=one, close=one,
        volume=one, instruments=("X.SIM",),
    )  # fmt: skip
    # the promoted walk-forward set carries first-touch models, which the simulator refuses by name
    with pytest.raises(SimUnsupportedError, match=f"{real_set / 'wf-1'}: first-touch model"):
        decisions_for(config, bars, [_spec("crypto_spot")], [], SimpleNamespace(synthetic=False))
