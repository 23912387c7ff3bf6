"""ONNX runtime: verified loading, refusal on mismatch, single-row and batch inference."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pandas as pd
import pytest

from engine.features.vector import FEATURE_NAMES, FeatureParams, compute_feature_matrix
from engine.models.errors import ModelManifestError
from engine.models.runtime import ModelBundle, ModelSession, default_providers, load_optional

REPO = Path(__file__).resolve().parents[3]
SHIPPED = REPO / "models" / "baseline"
BTC_CSV = Path("/work/shared/data/crypto_1m_2023-03_binanceus/BTCUSDT_1m_20230301_20230321.csv")


@pytest.fixture
def model_dir(tmp_path, trained_dir) -> Path:
    target = tmp_path / "models"
    shutil.copytree(trained_dir, target)
    return target


def _rows(n: int = 64, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.normal(0.0, 0.01, size=(n, len(FEATURE_NAMES)))


def _edit_manifest(path: Path, **changes) -> None:
    body = json.loads(path.read_text())
    body.update(changes)
    path.write_text(json.dumps(body))


def test_bundle_loads_verified_models_on_the_cpu_provider(model_dir):
    bundle = ModelBundle.load(
        model_dir, params=FeatureParams(), providers=["CPUExecutionProvider"], cpu_runtime="onnxruntime"
    )

    assert bundle.names == ("p_short", "p_mid")
    assert bundle.providers == {"p_short": "CPUExecutionProvider", "p_mid": "CPUExecutionProvider"}
    numba = ModelBundle.load(model_dir, params=FeatureParams(), providers=["CPUExecutionProvider"])
    assert numba.providers == {"p_short": "numba", "p_mid": "numba"}
    assert bundle.manifest("p_mid").horizon_bars == 60
    assert bundle.n_features == len(FEATURE_NAMES)


def test_predict_row_matches_batch_and_plain_run(model_dir):
    bundle = ModelBundle.load(model_dir, params=FeatureParams())
    rows = _rows()

    batch = bundle.predict_batch(rows)
    single = np.array([bundle.predict_row(r) for r in rows])
    plain = np.array([bundle.predict_row_run(r) for r in rows])

    assert batch.shape == (len(rows), 2)
    np.testing.assert_allclose(single, batch, atol=1e-7)
    np.testing.assert_allclose(plain, batch, atol=1e-7)
    assert np.all((batch >= 0.0) & (batch <= 1.0))
    assert isinstance(bundle.predict_row(rows[0])[0], float)


def test_predict_batch_rejects_wrong_width_and_accepts_empty(model_dir):
    bundle = ModelBundle.load(model_dir, params=FeatureParams())

    with pytest.raises(ValueError, match="matrix"):
        bundle.predict_batch(np.zeros((2, 3)))
    assert bundle.predict_batch(np.zeros((0, len(FEATURE_NAMES)))).shape == (0, 2)


def test_wrong_feature_names_are_refused(model_dir):
    names = list(FEATURE_NAMES)
    names[0] = "ret_2"
    _edit_manifest(model_dir / "p_short.manifest.json", feature_names=names)

    with pytest.raises(ModelManifestError, match="field 'feature_names' mismatch") as info:
        ModelBundle.load(model_dir, params=FeatureParams())
    assert info.value.field == "feature_names"
    assert "ret_2" in str(info.value)


def test_wrong_feature_schema_id_is_refused(model_dir):
    with pytest.raises(ModelManifestError, match="field 'feature_schema_id' mismatch") as info:
        ModelBundle.load(model_dir, params=FeatureParams(ema_fast=10))
    assert "ema_fast: manifest 12 live 10" in str(info.value)
    assert info.value.path.endswith("p_short.manifest.json")


def test_wrong_feature_schema_version_is_refused(model_dir):
    _edit_manifest(model_dir / "p_mid.manifest.json", feature_schema_version="0")

    with pytest.raises(ModelManifestError, match="field 'feature_schema_version' mismatch"):
        ModelBundle.load(model_dir, params=FeatureParams())


def test_tampered_onnx_bytes_are_refused(model_dir):
    path = model_dir / "p_mid.onnx"
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))

    with pytest.raises(ModelManifestError, match="field 'onnx_sha256' mismatch") as info:
        ModelBundle.load(model_dir, params=FeatureParams())
    assert info.value.field == "onnx_sha256"


def test_manifest_naming_another_input_is_refused(model_dir):
    _edit_manifest(model_dir / "p_short.manifest.json", input_name="x")

    with pytest.raises(ModelManifestError, match="input_name"):
        ModelBundle.load(model_dir, params=FeatureParams())


def test_missing_required_model_is_refused(model_dir):
    (model_dir / "p_mid.manifest.json").unlink()

    with pytest.raises(ModelManifestError, match="not found"):
        ModelBundle.load(model_dir, params=FeatureParams())


def test_optional_model_absent_returns_none(model_dir):
    assert load_optional(model_dir, "ppo_size_hint", params=FeatureParams()) is None


def test_optional_model_present_is_verified_and_loaded(model_dir):
    shutil.copy(model_dir / "p_short.onnx", model_dir / "ppo_size_hint.onnx")
    body = json.loads((model_dir / "p_short.manifest.json").read_text())
    body.update(name="ppo_size_hint", onnx_file="ppo_size_hint.onnx")
    (model_dir / "ppo_size_hint.manifest.json").write_text(json.dumps(body))

    session = load_optional(model_dir, "ppo_size_hint", params=FeatureParams())

    assert isinstance(session, ModelSession)
    scores = session.predict(_rows(3))
    assert scores.shape == (3,)
    assert session.provider in ort.get_available_providers()


def test_optional_model_with_invalid_manifest_raises(model_dir):
    (model_dir / "ppo_size_hint.manifest.json").write_text('{"name": "ppo_size_hint"}')

    with pytest.raises(ModelManifestError, match="ppo_size_hint"):
        load_optional(model_dir, "ppo_size_hint", params=FeatureParams())


def test_optional_onnx_without_manifest_is_refused(model_dir):
    shutil.copy(model_dir / "p_short.onnx", model_dir / "ppo_size_hint.onnx")

    with pytest.raises(ModelManifestError, match="has no manifest"):
        load_optional(model_dir, "ppo_size_hint", params=FeatureParams())


def test_default_providers_prefer_cuda_when_available(monkeypatch):
    monkeypatch.setattr(
        ort, "get_available_providers", lambda: ["CUDAExecutionProvider", "CPUExecutionProvider"]
    )
    assert default_providers() == ["CUDAExecutionProvider", "CPUExecutionProvider"]
    monkeypatch.setattr(ort, "get_available_providers", lambda: ["CPUExecutionProvider"])
    assert default_providers() == ["CPUExecutionProvider"]


def test_shipped_baseline_predicts_probabilities_on_real_btcusdt_bars():
    frame = pd.read_csv(BTC_CSV)
    params = FeatureParams()
    features = compute_feature_matrix(
        frame["open"].to_numpy(),
        frame["high"].to_numpy(),
        frame["low"].to_numpy(),
        frame["close"].to_numpy(),
        frame["volume"].to_numpy(),
        params,
    )
    rows = features[np.isfinite(features).all(axis=1)]

    bundle = ModelBundle.load(SHIPPED, params=params)
    scores = bundle.predict_batch(rows)

    assert len(rows) > 20_000
    assert np.all(np.isfinite(scores))
    assert np.all((scores >= 0.0) & (scores <= 1.0))
    assert scores[:, 0].std() > 0.0 and scores[:, 1].std() > 0.0  # the models respond to the features
    np.testing.assert_allclose(bundle.predict_row(rows[-1]), scores[-1], atol=1e-7)
