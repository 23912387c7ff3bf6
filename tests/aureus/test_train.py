"""Baseline training: CLI, reproducibility, ONNX parity with LightGBM, overrides (aureus.train)."""

from __future__ import annotations

import hashlib
import json

import lightgbm as lgb
import numpy as np
import onnxmltools
import onnxruntime as ort
import pytest
from onnxmltools.convert.common.data_types import FloatTensorType
from typer.testing import CliRunner

from adapters.synthetic import synthesize
from aureus.cli_train import train_app
from aureus.train import TrainConfig, lightgbm_params, parse_overrides, train_baseline
from aureus.train_onnx import check_onnx_matches, export_onnx
from engine.errors import ConfigError
from engine.features.vector import FEATURE_NAMES, FeatureParams, feature_schema_id
from engine.models.errors import ModelExportError
from engine.models.runtime import ModelBundle

SMALL = TrainConfig(n_estimators=30, min_data_in_leaf=50)


@pytest.fixture(scope="module")
def synth_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("synth")
    synthesize(3, path, days=2, n_instruments=2)
    return path


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_cli_baseline_writes_loadable_models_with_lineage_and_prints_metrics(synth_dir, tmp_path):
    out = tmp_path / "models"

    result = CliRunner().invoke(
        train_app,
        ["baseline", "--data", str(synth_dir), "--out", str(out), "--seed", "3",
         "--set", "n_estimators=20", "--set", "min_data_in_leaf=50"],
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert "validation metrics" in result.output and "p_mid" in result.output
    recording = json.loads((synth_dir / "manifest.json").read_text())
    for name, horizon in (("p_short", 5), ("p_mid", 60)):
        manifest = json.loads((out / f"{name}.manifest.json").read_text())
        assert manifest["onnx_sha256"] == _sha(out / f"{name}.onnx")
        assert manifest["horizon_bars"] == horizon == manifest["split"]["gap_bars"]
        assert manifest["data"]["content_hash"] == recording["content_hash"]
        assert manifest["data"]["synthetic"] is True
        assert manifest["feature_schema_id"] == feature_schema_id(FeatureParams())
        assert manifest["feature_names"] == list(FEATURE_NAMES)
        assert manifest["hyperparameters"]["n_estimators"] == 20
        assert manifest["seed"] == 3
        assert set(manifest["metrics"]) >= {
            "auc",
            "log_loss",
            "brier",
            "accuracy",
            "base_rate",
            "n_train",
            "n_valid",
        }
        assert manifest["split"]["valid_start_ns"] > manifest["split"]["train_end_ns"] + horizon * 60 * 10**9
    bundle = ModelBundle.load(out, params=FeatureParams())
    assert all(0.0 <= p <= 1.0 for p in bundle.predict_row(np.zeros(len(FEATURE_NAMES))))


def test_cli_reports_a_bad_setting_and_exits_nonzero(synth_dir, tmp_path):
    result = CliRunner().invoke(
        train_app, ["baseline", "--data", str(synth_dir), "--out", str(tmp_path), "--set", "num_leaves=1"]
    )

    assert result.exit_code == 2
    assert "num_leaves" in result.output


def test_retraining_with_the_same_seed_gives_identical_bytes(synth_dir, tmp_path):
    first = train_baseline(synth_dir, tmp_path / "a", seed=5, config=SMALL)
    second = train_baseline(synth_dir, tmp_path / "b", seed=5, config=SMALL)
    other_seed = train_baseline(synth_dir, tmp_path / "c", seed=6, config=SMALL)

    for a, b, c in zip(first, second, other_seed, strict=True):
        assert _sha(a.onnx_path) == _sha(b.onnx_path) == a.manifest.onnx_sha256
        assert a.manifest_path.read_bytes() == b.manifest_path.read_bytes()
        assert c.manifest.onnx_sha256 != a.manifest.onnx_sha256


def _near_threshold_data(n: int = 4000, seed: int = 0):
    # Values packed on adjacent float32 numbers: a split between two neighbours is where rounding a
    # double threshold to the nearest float32 would flip decisions.
    rng = np.random.default_rng(seed)
    base = np.float32(1.0) + np.arange(0, 8, dtype=np.float32) * np.finfo(np.float32).eps
    x0 = rng.choice(base, size=n).astype(np.float32)
    x = np.column_stack([x0, rng.normal(size=n).astype(np.float32), rng.normal(size=n).astype(np.float32)])
    y = ((x0 > base[3]) ^ (rng.random(n) < 0.1)).astype(np.int64)
    return x, y


def test_onnx_probabilities_match_lightgbm_even_at_float32_neighbour_thresholds():
    x, y = _near_threshold_data()
    model = lgb.LGBMClassifier(**{**lightgbm_params(SMALL, 1), "min_data_in_leaf": 20}).fit(x, y)
    proto = export_onnx(model, 3, graph_name="t", producer_version="t", metadata={}, target_opset=15)

    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    got = session.run(["probabilities"], {"features": x})[0]

    np.testing.assert_allclose(got, model.predict_proba(x), atol=1e-5, rtol=0)
    assert check_onnx_matches(proto.SerializeToString(), model, x, 1e-5) < 1e-5


def test_plain_conversion_would_flip_splits_on_the_same_data():
    """Documents why ``float32_exact_booster`` exists: onnxmltools alone disagrees here."""
    x, y = _near_threshold_data()
    model = lgb.LGBMClassifier(**{**lightgbm_params(SMALL, 1), "min_data_in_leaf": 20}).fit(x, y)
    proto = onnxmltools.convert_lightgbm(
        model, initial_types=[("features", FloatTensorType([None, 3]))], zipmap=False, target_opset=15
    )

    with pytest.raises(ModelExportError, match="differ from LightGBM"):
        check_onnx_matches(proto.SerializeToString(), model, x, 1e-5)


def test_parse_overrides_sets_training_and_feature_fields():
    config, params = parse_overrides(
        ["n_estimators=50", "learning_rate=0.1", "features.ema_fast=5", "version=x"]
    )

    assert (config.n_estimators, config.learning_rate, config.version) == (50, 0.1, "x")
    assert params.ema_fast == 5 and params.ema_slow == FeatureParams().ema_slow


@pytest.mark.parametrize(
    ("item", "needle"),
    [
        ("bogus=1", "bogus"),
        ("train_fraction=1.5", "train_fraction"),
        ("features.nope=3", "nope"),
        ("novalue", "key=value"),
    ],
)
def test_parse_overrides_rejects_bad_items_naming_the_key(item, needle):
    with pytest.raises(ConfigError, match=needle):
        parse_overrides([item])


def test_walkforward_overrides_share_the_training_parser():
    from aureus.walkforward import parse_walkforward_overrides

    config, params = parse_walkforward_overrides(["n_folds=4", "mode=rolling", "features.ema_fast=5"])
    assert (config.n_folds, config.mode, params.ema_fast) == (4, "rolling", 5)
    for item, needle in (("bogus=1", "walk-forward setting.*bogus"), ("features.nope=3", "features.*nope"),
                         ("novalue", "key=value"), ("mode=sideways", "expanding")):  # fmt: skip
        with pytest.raises(ConfigError, match=needle):
            parse_walkforward_overrides([item])
