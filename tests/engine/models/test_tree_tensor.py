"""Tree ensembles as tensor operations: equal to the TreeEnsemble operator and to LightGBM, on the CPU
provider (no GPU is needed to check the GPU graph's numbers), with the node placement reported."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import onnx
import onnxruntime as ort
import pandas as pd
import pytest

from aureus.paths import REPO_ROOT
from aureus.train_onnx import export_onnx
from engine.features.vector import FeatureParams, compute_feature_matrix
from engine.models.tree_tensor import TreeTensorError, convert_tree_ensemble, executed_providers

SHIPPED = REPO_ROOT / "models" / "baseline"
BTC_CSV = (
    REPO_ROOT.parent / "shared" / "data" / "crypto_1m_2023-03_binanceus" / "BTCUSDT_1m_20230301_20230321.csv"
)
CPU = ["CPUExecutionProvider"]


@pytest.fixture(scope="module")
def real_features() -> np.ndarray:
    bars = pd.read_csv(BTC_CSV, nrows=4000)
    x = compute_feature_matrix(bars.open, bars.high, bars.low, bars.close, bars.volume, FeatureParams())
    return x[np.isfinite(x).all(axis=1)].astype(np.float32)


def _proba(model: onnx.ModelProto, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(model.SerializeToString(), providers=CPU)
    return session.run(["probabilities"], {"features": x})[0]


@pytest.mark.parametrize("name", ["p_short", "p_mid"])
def test_shipped_models_convert_to_the_same_probabilities(name, real_features):
    original = onnx.load(SHIPPED / f"{name}.onnx")
    tensor = convert_tree_ensemble(original)
    assert not any(n.op_type.startswith("TreeEnsemble") for n in tensor.graph.node)
    want = _proba(original, real_features)
    got = _proba(tensor, real_features)
    assert got.shape == want.shape == (len(real_features), 2)
    assert np.abs(got - want).max() <= 1e-5
    session = ort.InferenceSession(tensor.SerializeToString(), providers=CPU)
    label = session.run(["label"], {"features": real_features})[0]
    assert np.array_equal(label, (got[:, 1] > got[:, 0]).astype(np.int64))


def test_nan_features_take_the_trees_missing_value_direction(real_features):
    original = onnx.load(SHIPPED / "p_short.onnx")
    x = real_features[:300].copy()
    for col in range(x.shape[1]):
        x[col::11, col] = np.nan  # every feature missing somewhere
    assert np.abs(_proba(convert_tree_ensemble(original), x) - _proba(original, x)).max() <= 1e-5


def test_lightgbm_model_converts_to_predict_proba_within_1e_5(real_features):
    x = real_features
    # label: the next bar's return is positive (column 0 is ret_1); a real, if weak, signal
    y = (np.roll(x[:, 0], -1) > 0).astype(int)[:-1]
    x = x[:-1]
    model = lgb.LGBMClassifier(n_estimators=60, num_leaves=15, learning_rate=0.1, verbose=-1, random_state=0)
    model.fit(x, y)
    proto = export_onnx(
        model, x.shape[1], graph_name="t", producer_version="test", metadata={}, target_opset=15
    )
    got = _proba(convert_tree_ensemble(proto), x)
    want = model.predict_proba(x)
    assert np.abs(got - want).max() <= 1e-5


def test_every_node_reports_the_provider_that_ran_it(real_features):
    tensor = convert_tree_ensemble(onnx.load(SHIPPED / "p_mid.onnx"))
    placed = executed_providers(tensor.SerializeToString(), CPU, real_features[:8])
    assert {op.split(":")[0] for op in placed} >= {"Gather", "MatMul", "Equal", "ReduceSum", "Sigmoid"}
    assert set(placed.values()) == {"CPUExecutionProvider"}
    tree = executed_providers((SHIPPED / "p_mid.onnx").read_bytes(), CPU, real_features[:8])
    assert any(op.startswith("TreeEnsembleClassifier:") for op in tree)


@pytest.mark.skipif(
    "CUDAExecutionProvider" not in ort.get_available_providers(), reason="no CUDA provider on this machine"
)
def test_on_cuda_the_tensor_graph_runs_on_the_gpu_and_the_tree_operator_does_not(real_features):
    cuda = ["CUDAExecutionProvider", "CPUExecutionProvider"]
    original = (SHIPPED / "p_mid.onnx").read_bytes()
    tensor = convert_tree_ensemble(onnx.load_from_string(original)).SerializeToString()
    placed = executed_providers(tensor, cuda, real_features[:64])
    assert placed[next(op for op in placed if op.startswith("MatMul:"))] == "CUDAExecutionProvider"
    tree = executed_providers(original, cuda, real_features[:64])
    assert tree[next(op for op in tree if op.startswith("TreeEnsembleClassifier:"))] == "CPUExecutionProvider"


def test_unsupported_models_are_refused():
    model = onnx.load(SHIPPED / "p_short.onnx")
    node = next(n for n in model.graph.node if n.op_type == "TreeEnsembleClassifier")
    for attr in node.attribute:
        if attr.name == "post_transform":
            attr.s = b"SOFTMAX"
    with pytest.raises(TreeTensorError, match="SOFTMAX"):
        convert_tree_ensemble(model)
    empty = onnx.helper.make_model(onnx.helper.make_graph([], "g", [], []))
    with pytest.raises(TreeTensorError, match="one TreeEnsembleClassifier"):
        convert_tree_ensemble(empty)
