"""One merged session per model bundle: same scores as each model's own session, tensor graph for CUDA,
and providers taken from where the nodes actually ran."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pandas as pd
import pytest

from aureus.paths import REPO_ROOT
from engine.features.vector import FeatureParams, compute_feature_matrix
from engine.models import runtime
from engine.models.bundle_graph import merge_bundle, output_name
from engine.models.runtime import ModelBundle
from strategies.trade_journal import model_summary

SHIPPED = REPO_ROOT / "models" / "baseline"
BTC_CSV = (
    REPO_ROOT.parent / "shared" / "data" / "crypto_1m_2023-03_binanceus" / "BTCUSDT_1m_20230301_20230321.csv"
)
CPU = "CPUExecutionProvider"


@pytest.fixture(scope="module")
def real_features() -> np.ndarray:
    bars = pd.read_csv(BTC_CSV, nrows=3000)
    x = compute_feature_matrix(bars.open, bars.high, bars.low, bars.close, bars.volume, FeatureParams())
    return x[np.isfinite(x).all(axis=1)]


def test_merged_session_scores_equal_each_models_own_session(real_features):
    bundle = ModelBundle.load(SHIPPED, params=FeatureParams(), providers=[CPU], cpu_runtime="onnxruntime")
    x = real_features[:400]

    own = np.column_stack([bundle.models[n].predict(x) for n in bundle.names])
    rows = np.array([bundle.predict_row(r) for r in x])

    assert bundle.tensor_graph is False
    # bit-identical, not merely close: replays must not change
    assert np.array_equal(rows, own)
    assert np.array_equal(bundle.predict_batch(x), own)
    assert len(set(own[:, 0])) > 10  # the rows really differ


def test_tensor_graph_equals_tree_graph_on_real_features(real_features):
    parts = [
        (n, (SHIPPED / f"{n}.onnx").read_bytes(), "features", "probabilities") for n in ("p_short", "p_mid")
    ]
    tree = merge_bundle(parts, to_tensor=False)
    tensor = merge_bundle(parts, to_tensor=True)
    assert any(n.op_type.startswith("TreeEnsemble") for n in tree.graph.node)
    assert not any(n.op_type.startswith("TreeEnsemble") for n in tensor.graph.node)

    x = real_features.astype(np.float32)
    outs = [output_name(n, "probabilities") for n in ("p_short", "p_mid")]
    want = ort.InferenceSession(tree.SerializeToString(), providers=[CPU]).run(outs, {"features": x})
    got = ort.InferenceSession(tensor.SerializeToString(), providers=[CPU]).run(outs, {"features": x})
    for w, g in zip(want, got, strict=True):
        assert w.shape == g.shape == (len(x), 2)
        assert np.abs(w - g).max() <= 1e-5


def test_cuda_request_uses_tensor_graph_and_reports_where_nodes_ran(monkeypatch, real_features):
    # No GPU here: pretend CUDA is available so the CUDA path (tensor graph) is built; onnxruntime
    # then places every node on the CPU, and the summary must say so rather than name CUDA.
    real_available = ort.get_available_providers()
    monkeypatch.setattr(
        runtime.ort, "get_available_providers", lambda: ["CUDAExecutionProvider", *real_available]
    )
    bundle = ModelBundle.load(SHIPPED, params=FeatureParams(), providers=["CUDAExecutionProvider", CPU])
    cpu_bundle = ModelBundle.load(SHIPPED, params=FeatureParams(), providers=[CPU])

    assert bundle.tensor_graph is True
    for n in bundle.names:
        assert bundle.executed[n], n
        assert set(bundle.executed[n].values()) == {CPU}
        assert all(key.split(":", 1)[1].startswith(f"{n}/") for key in bundle.executed[n])
        assert not any(key.startswith("TreeEnsemble") for key in bundle.executed[n])
    summary = model_summary(bundle, None)
    assert {summary[n]["provider"] for n in bundle.names} == {CPU}

    x = real_features[:300]
    assert np.abs(bundle.predict_batch(x) - cpu_bundle.predict_batch(x)).max() <= 1e-5
