"""The numba tree evaluator against onnxruntime: bit-identical scores on the shipped models over real
BTCUSDT rows, on NaN (missing-value) rows, on hypothesis-drawn rows and on hypothesis-drawn tree
ensembles (every branch mode, missing tracks, mixed and non-negative weights, both transforms);
graphs it does not reproduce are refused and the bundle keeps onnxruntime for them."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper

from engine.features.vector import FeatureParams, compute_feature_matrix
from engine.models.runtime import ModelBundle
from engine.models.tree_numba import TreeBundleEvaluator
from engine.models.tree_program import MODES, TreeProgramUnsupported, compile_tree_model

REPO = Path(__file__).resolve().parents[3]
SHIPPED = REPO / "models" / "baseline"
CALIBRATED = REPO / "models" / "btc-real" / "wf-1"
BTC_CSV = Path("/work/shared/data/crypto_1m_2023-03_binanceus/BTCUSDT_1m_20230301_20230321.csv")
NAMES = ("p_short", "p_mid")


def _session(model_bytes: bytes) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1  # as the bundle runs it: one thread, trees summed in order
    options.inter_op_num_threads = 1
    return ort.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])


def _ort_scores(blobs, x: np.ndarray, column: int = 1) -> np.ndarray:
    return _scores_of([_session(b) for b in blobs], x, column)


def _scores_of(sessions, x: np.ndarray, column: int = 1) -> np.ndarray:
    with np.errstate(over="ignore"):  # huge float64 values become inf in float32, as in the evaluator
        x32 = np.ascontiguousarray(x, dtype=np.float32)
    cols = [s.run(["probabilities"], {"features": x32})[0][:, column] for s in sessions]
    return np.stack(cols, axis=1).astype(np.float64)


@pytest.fixture(scope="module")
def shipped():
    blobs = [(SHIPPED / f"{n}.onnx").read_bytes() for n in NAMES]
    programs = [compile_tree_model(b, "probabilities", 1) for b in blobs]
    evaluators = {m: TreeBundleEvaluator(programs, 11, method=m) for m in ("bins", "quickscorer", "walk")}
    return [_session(b) for b in blobs], evaluators


@pytest.fixture(scope="module")
def btc_rows() -> np.ndarray:
    bars = pd.read_csv(BTC_CSV)
    x = compute_feature_matrix(bars.open, bars.high, bars.low, bars.close, bars.volume, FeatureParams())
    return np.ascontiguousarray(x[np.isfinite(x).all(axis=1)])


@pytest.mark.parametrize("method", ["bins", "quickscorer", "walk"])
def test_shipped_models_score_every_real_btcusdt_row_bit_identically(shipped, btc_rows, method):
    sessions, evaluators = shipped
    want = _scores_of(sessions, btc_rows)
    got = evaluators[method].predict_batch(btc_rows)
    assert len(btc_rows) > 29_000
    assert np.array_equal(got, want)  # exact, stronger than the 1e-6 asked
    out = np.zeros(2)
    for i in range(0, len(btc_rows), 37):  # the single-row path, against onnxruntime's single-row run
        evaluators[method].predict_row_into(btc_rows[i], out)
        assert np.array_equal(out, _scores_of(sessions, btc_rows[i : i + 1])[0])


@pytest.mark.parametrize("method", ["bins", "quickscorer", "walk"])
def test_missing_values_take_each_nodes_missing_track_exactly(shipped, btc_rows, method):
    sessions, evaluators = shipped
    x = btc_rows[:2_000].copy()
    rng = np.random.default_rng(3)
    x[rng.random(x.shape) < 0.3] = np.nan
    for col in range(x.shape[1]):
        x[col::11, col] = np.nan  # every feature missing somewhere
    x[::50] = np.nan  # whole rows missing
    assert np.array_equal(evaluators[method].predict_batch(x), _scores_of(sessions, x))


def _thresholds(blob: bytes) -> np.ndarray:
    node = next(n for n in onnx.load_from_string(blob).graph.node if n.op_type == "TreeEnsembleClassifier")
    attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    return np.unique(np.asarray(attrs["nodes_values"], dtype=np.float32))


_SHIPPED_THRESHOLDS = _thresholds((SHIPPED / "p_mid.onnx").read_bytes())

# values on, just above and just below the models' own thresholds, specials and plain floats
_value = st.one_of(
    st.sampled_from(_SHIPPED_THRESHOLDS.tolist()).flatmap(
        lambda t: st.sampled_from(
            [
                t,
                float(np.nextafter(np.float32(t), np.float32(np.inf))),
                float(np.nextafter(np.float32(t), np.float32(-np.inf))),
                t * (1 + 1e-9),
            ]
        )
    ),
    st.sampled_from([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e300, -1e300, 1e-320]),
    st.floats(allow_nan=True, allow_infinity=True, width=64),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(_value, min_size=11, max_size=11), min_size=1, max_size=8))
def test_hypothesis_rows_score_like_onnxruntime(shipped, rows):
    sessions, evaluators = shipped
    x = np.asarray(rows, dtype=np.float64)
    want = _scores_of(sessions, x)
    for evaluator in evaluators.values():
        assert np.array_equal(evaluator.predict_batch(x), want, equal_nan=True)


@st.composite
def _ensembles(draw):
    """A random binary TreeEnsembleClassifier graph (as the LightGBM converter lays it out)."""
    n_features = 4
    leq_only = draw(st.booleans())
    modes = ["BRANCH_LEQ"] if leq_only else sorted(MODES)
    positive = draw(st.booleans())
    post = draw(st.sampled_from(["LOGISTIC", "NONE"]))
    attrs: dict[str, list] = {k: [] for k in (
        "nodes_treeids", "nodes_nodeids", "nodes_featureids", "nodes_values", "nodes_modes",
        "nodes_truenodeids", "nodes_falsenodeids", "nodes_missing_value_tracks_true", "nodes_hitrates",
        "class_treeids", "class_nodeids", "class_ids", "class_weights",
    )}  # fmt: skip
    grid = [-1.0, -0.5, 0.0, 0.25, 0.5, 1.0]
    weight = st.floats(0.0 if positive else -2.0, 2.0, width=32)
    for tree in range(draw(st.integers(1, 6))):
        next_id = [0]

        def grow(depth: int, tree=tree, next_id=next_id) -> int:
            nid = next_id[0]
            next_id[0] += 1
            split = depth < 4 and draw(st.booleans())
            attrs["nodes_treeids"].append(tree)
            attrs["nodes_nodeids"].append(nid)
            attrs["nodes_hitrates"].append(1.0)
            slot = len(attrs["nodes_treeids"]) - 1
            if not split:
                for k, v in (("nodes_featureids", 0), ("nodes_values", 0.0), ("nodes_modes", "LEAF"),
                             ("nodes_truenodeids", 0), ("nodes_falsenodeids", 0),
                             ("nodes_missing_value_tracks_true", 0)):  # fmt: skip
                    attrs[k].append(v)
                attrs["class_treeids"].append(tree)
                attrs["class_nodeids"].append(nid)
                attrs["class_ids"].append(0)
                attrs["class_weights"].append(draw(weight))
                return nid
            for k in ("nodes_featureids", "nodes_values", "nodes_modes", "nodes_truenodeids",
                      "nodes_falsenodeids", "nodes_missing_value_tracks_true"):  # fmt: skip
                attrs[k].append(None)
            attrs["nodes_featureids"][slot] = draw(st.integers(0, n_features - 1))
            attrs["nodes_values"][slot] = draw(st.sampled_from(grid))
            attrs["nodes_modes"][slot] = draw(st.sampled_from(modes))
            attrs["nodes_missing_value_tracks_true"][slot] = int(draw(st.booleans()))
            attrs["nodes_truenodeids"][slot] = grow(depth + 1)
            attrs["nodes_falsenodeids"][slot] = grow(depth + 1)
            return nid

        grow(0)
    node = helper.make_node(
        "TreeEnsembleClassifier", ["features"], ["label", "probabilities"], domain="ai.onnx.ml",
        classlabels_int64s=[0, 1], post_transform=post, **attrs,
    )  # fmt: skip
    graph = helper.make_graph(
        [node],
        "t",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, [None, n_features])],
        [
            helper.make_tensor_value_info("label", TensorProto.INT64, [None]),
            helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [None, 2]),
        ],
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 15), helper.make_opsetid("ai.onnx.ml", 3)]
    )
    model.ir_version = 8
    return model.SerializeToString(), leq_only


_grid_value = st.sampled_from([-1.0, -0.5, 0.0, 0.25, 0.5, 1.0, 0.7, -3.0, np.nan, np.inf])


@settings(max_examples=150, deadline=None)
@given(
    model=_ensembles(),
    rows=st.lists(st.lists(_grid_value, min_size=4, max_size=4), min_size=1, max_size=6),
    column=st.sampled_from([0, 1]),
)
def test_hypothesis_ensembles_score_like_onnxruntime(model, rows, column):
    blob, leq_only = model
    x = np.asarray(rows, dtype=np.float64)
    want = _ort_scores([blob], x, column)
    program = compile_tree_model(blob, "probabilities", column)
    methods = ("walk", "quickscorer", "bins") if leq_only else ("walk",)
    for method in methods:
        got = TreeBundleEvaluator([program], 4, method=method).predict_batch(x)
        assert np.array_equal(got, want, equal_nan=True), method


def test_calibrated_graph_is_refused_with_the_operator_it_has():
    blob = (CALIBRATED / "p_mid.onnx").read_bytes()
    with pytest.raises(TreeProgramUnsupported, match="after the tree"):
        compile_tree_model(blob, "prob_cal", 0)
    # its plain probabilities output is the tree's and converts
    compile_tree_model(blob, "probabilities", 1)


def test_bundle_scores_with_numba_by_default_and_reports_it(tmp_path, btc_rows):
    shutil.copytree(SHIPPED, tmp_path / "m")
    numba_bundle = ModelBundle.load(
        tmp_path / "m", params=FeatureParams(), providers=["CPUExecutionProvider"]
    )
    ort_bundle = ModelBundle.load(
        tmp_path / "m", params=FeatureParams(), providers=["CPUExecutionProvider"], cpu_runtime="onnxruntime"
    )
    assert numba_bundle.runtime == "numba" and ort_bundle.runtime == "onnxruntime"
    assert numba_bundle.providers == {"p_short": "numba", "p_mid": "numba"}
    assert ort_bundle.providers == {"p_short": "CPUExecutionProvider", "p_mid": "CPUExecutionProvider"}
    assert set(numba_bundle.executed["p_mid"].values()) == {"numba:bins"}
    rows = btc_rows[:500]
    assert np.array_equal(numba_bundle.predict_batch(rows), ort_bundle.predict_batch(rows))
    out = np.zeros(2)
    for r in rows[:100]:
        assert (
            numba_bundle.predict_row(r)
            == ort_bundle.predict_row(r)
            == numba_bundle.predict_row_onnxruntime(r)
        )
        numba_bundle.predict_row_into(r, out)
        assert tuple(out.tolist()) == ort_bundle.predict_row(r)
    with pytest.raises(ValueError, match="cpu_runtime"):
        ModelBundle.load(tmp_path / "m", params=FeatureParams(), cpu_runtime="tensorflow")


def _calibrated_bundle(names, cpu_runtime):
    from engine.models.manifest import read_manifest
    from engine.models.runtime import FeatureSchema

    manifest = read_manifest(CALIBRATED / "p_mid.manifest.json")
    schema = FeatureSchema(
        version=manifest.feature_schema_version,
        names=tuple(manifest.feature_names),
        schema_id=manifest.feature_schema_id,
        params=manifest.feature_params,
    )
    return ModelBundle.load_with_schema(
        CALIBRATED, schema=schema, names=names, providers=["CPUExecutionProvider"], cpu_runtime=cpu_runtime
    )


def test_calibrated_models_score_trees_in_numba_and_the_tail_in_onnxruntime_identically(btc_rows):
    names = ("p_short", "p_mid", "p_touch")
    bundle = _calibrated_bundle(names, "numba")
    reference = _calibrated_bundle(names, "onnxruntime")
    assert bundle.runtime == "numba" and bundle.evaluator.tail_models == names
    assert set(bundle.providers.values()) == {"numba+CPUExecutionProvider"}
    assert set(reference.providers.values()) == {"CPUExecutionProvider"}
    x = btc_rows.copy()
    x[::97, 8] = np.nan  # the calibration reads the ATR column too
    assert np.array_equal(bundle.predict_batch(x), reference.predict_batch(x), equal_nan=True)
    out = np.zeros(len(names))
    for r in x[::61]:
        bundle.predict_row_into(r, out)
        assert tuple(out.tolist()) == reference.predict_row(r) == bundle.predict_row(r)


def test_bundle_keeps_onnxruntime_when_a_model_does_not_convert(tmp_path):
    # the shipped p_mid with a PROBIT transform: onnxruntime runs it, numba does not implement it
    import hashlib
    import json

    shutil.copytree(SHIPPED, tmp_path / "m")
    proto = onnx.load(SHIPPED / "p_mid.onnx")
    tree = next(n for n in proto.graph.node if n.op_type == "TreeEnsembleClassifier")
    for a in tree.attribute:
        if a.name == "post_transform":
            a.s = b"PROBIT"
    blob = proto.SerializeToString()
    (tmp_path / "m" / "p_mid.onnx").write_bytes(blob)
    manifest = json.loads((tmp_path / "m" / "p_mid.manifest.json").read_text())
    manifest["onnx_sha256"] = hashlib.sha256(blob).hexdigest()
    (tmp_path / "m" / "p_mid.manifest.json").write_text(json.dumps(manifest))
    bundle = ModelBundle.load(tmp_path / "m", params=FeatureParams(), providers=["CPUExecutionProvider"])
    assert bundle.runtime == "onnxruntime" and bundle.evaluator is None
    assert "p_mid" in bundle.runtime_note and "PROBIT" in bundle.runtime_note
    assert set(bundle.providers.values()) == {"CPUExecutionProvider"}
