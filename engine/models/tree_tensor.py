"""Tree ensembles as tensor operations: an ONNX ``TreeEnsembleClassifier`` -> a GEMM-style ONNX graph.

onnxruntime has no CUDA kernel for ``ai.onnx.ml.TreeEnsembleClassifier``: in a CUDA session the node
falls back to the CPU. This module rewrites the ensemble in standard ONNX operators that the CUDA
execution provider does implement (``Gather``, comparisons, ``Where``, ``MatMul``, ``Equal``,
``ReduceSum``, ``Sigmoid``), following Hummingbird's GEMM strategy, batched per tree:

* ``xg = X[:, feature(i)]`` for every internal node i (a ``Gather``: exact, unlike a one-hot matmul
  that would turn one NaN into NaN everywhere);
* ``d_i = xg <= threshold_i`` (``BRANCH_LEQ``, LightGBM's rule) or ``<`` (``BRANCH_LT``); a NaN input
  takes the node's missing-value direction (``nodes_missing_value_tracks_true``), as the tree does;
* per tree, ``S = d @ C`` with ``C[i, l] = +1`` when leaf l lies under the true branch of i, ``-1``
  under the false branch; leaf l is reached exactly when ``S[l]`` equals its number of true edges;
* the reached leaves' weights are summed over trees, the base value added, the post transform applied.

All path arithmetic is on small integers in float32 (exact); only the sum over trees rounds, so scores
agree with the tree operator to float32 rounding (checked to 1e-5 in the tests, and against LightGBM).
Supported: binary classifiers with ``post_transform`` ``LOGISTIC`` or ``NONE`` and node modes
``BRANCH_LEQ`` / ``BRANCH_LT``; anything else raises :class:`TreeTensorError`.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from engine.models.errors import ModelError

OPSET = 13
IR_VERSION = 8  # opset 13 needs IR >= 7


class TreeEnsembleSpec:
    """The parsed trees of one ``TreeEnsembleClassifier`` node (arrays per node, per leaf weight)."""

    def __init__(self, node: onnx.NodeProto) -> None:
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        self.post_transform = attrs.get("post_transform", b"NONE").decode()
        labels = attrs.get("classlabels_int64s") or attrs.get("classlabels_strings") or []
        if len(labels) != 2:
            raise TreeTensorError(
                f"only binary classifiers are converted, this one has {len(labels)} classes"
            )
        if self.post_transform not in ("LOGISTIC", "NONE"):
            raise TreeTensorError(f"post_transform {self.post_transform!r} is not supported")
        self.labels = list(labels)
        self.tree = np.asarray(attrs["nodes_treeids"], dtype=np.int64)
        self.node = np.asarray(attrs["nodes_nodeids"], dtype=np.int64)
        self.feature = np.asarray(attrs["nodes_featureids"], dtype=np.int64)
        self.value = np.asarray(attrs["nodes_values"], dtype=np.float32)
        self.mode = [m.decode() if isinstance(m, bytes) else m for m in attrs["nodes_modes"]]
        self.true = np.asarray(attrs["nodes_truenodeids"], dtype=np.int64)
        self.false = np.asarray(attrs["nodes_falsenodeids"], dtype=np.int64)
        n = len(self.tree)
        self.missing_true = np.asarray(attrs.get("nodes_missing_value_tracks_true") or [0] * n, dtype=bool)
        bad = {m for m in self.mode if m not in ("BRANCH_LEQ", "BRANCH_LT", "LEAF")}
        if bad:
            raise TreeTensorError(f"node modes {sorted(bad)} are not supported")
        class_ids = np.asarray(attrs["class_ids"], dtype=np.int64)
        if np.any(class_ids != 0):
            raise TreeTensorError("binary classifier with weights for class 1 is not supported")
        self.leaf_weight = {
            (int(t), int(nd)): 0.0
            for t, nd in zip(attrs["class_treeids"], attrs["class_nodeids"], strict=True)
        }
        for t, nd, w in zip(
            attrs["class_treeids"], attrs["class_nodeids"], attrs["class_weights"], strict=True
        ):
            self.leaf_weight[(int(t), int(nd))] += float(w)
        base = attrs.get("base_values") or [0.0]
        self.base = float(base[0])


class TreeTensorError(ModelError):
    """A tree model the converter does not handle; the message says what."""


def _find_tree_node(model: onnx.ModelProto) -> onnx.NodeProto:
    nodes = [n for n in model.graph.node if n.op_type == "TreeEnsembleClassifier"]
    if len(nodes) != 1:
        raise TreeTensorError(f"expected one TreeEnsembleClassifier node, found {len(nodes)}")
    return nodes[0]


def _tree_tensors(spec: TreeEnsembleSpec):
    """Per-tree padded tensors: feature index, threshold, LT flag, missing flag, C, D, leaf weights."""
    trees = sorted(set(spec.tree.tolist()))
    per_tree = []
    for t in trees:
        idx = np.flatnonzero(spec.tree == t)
        by_id = {int(spec.node[k]): k for k in idx}
        internal = [k for k in idx if spec.mode[k] != "LEAF"]
        leaves = [k for k in idx if spec.mode[k] == "LEAF"]
        pos_i = {int(spec.node[k]): p for p, k in enumerate(internal)}
        pos_l = {int(spec.node[k]): p for p, k in enumerate(leaves)}
        c = np.zeros((max(len(internal), 1), max(len(leaves), 1)), dtype=np.float32)
        d = np.zeros(max(len(leaves), 1), dtype=np.float32)
        # walk from the root (node id 0, or the smallest id) keeping the path's signed edges
        root = min(by_id)
        stack = [(root, [])]
        while stack:
            nid, path = stack.pop()
            k = by_id[nid]
            if spec.mode[k] == "LEAF":
                col = pos_l[nid]
                for i, sign in path:
                    c[i, col] = sign
                d[col] = sum(1 for _, sign in path if sign > 0)
                continue
            i = pos_i[nid]
            stack.append((int(spec.true[k]), [*path, (i, 1.0)]))
            stack.append((int(spec.false[k]), [*path, (i, -1.0)]))
        weights = np.array(
            [spec.leaf_weight.get((t, int(spec.node[k])), 0.0) for k in leaves], dtype=np.float32
        )
        per_tree.append((internal, leaves, c, d, weights))
    n_int = max(c.shape[0] for _, _, c, _, _ in per_tree)
    n_leaf = max(c.shape[1] for _, _, c, _, _ in per_tree)
    n_trees = len(per_tree)
    feat = np.zeros((n_trees, n_int), dtype=np.int64)
    thr = np.zeros((n_trees, n_int), dtype=np.float32)
    lt = np.zeros((n_trees, n_int), dtype=bool)
    miss = np.zeros((n_trees, n_int), dtype=bool)
    cc = np.zeros((n_trees, n_int, n_leaf), dtype=np.float32)
    dd = np.full((n_trees, 1, n_leaf), -1.0, dtype=np.float32)  # padded leaves are never reached
    ee = np.zeros((n_trees, n_leaf, 1), dtype=np.float32)
    for t, (internal, leaves, c, d, w) in enumerate(per_tree):
        for p, k in enumerate(internal):
            feat[t, p] = spec.feature[k]
            thr[t, p] = spec.value[k]
            lt[t, p] = spec.mode[k] == "BRANCH_LT"
            miss[t, p] = spec.missing_true[k]
        cc[t, : c.shape[0], : c.shape[1]] = c
        if leaves:
            dd[t, 0, : len(leaves)] = d[: len(leaves)]
            ee[t, : len(leaves), 0] = w
    return feat, thr, lt, miss, cc, dd, ee


def convert_tree_ensemble(model: onnx.ModelProto) -> onnx.ModelProto:
    """Rewrite a binary ``TreeEnsembleClassifier`` model as tensor operations.

    Parameters
    ----------
    model : onnx.ModelProto
        A model whose graph holds one ``TreeEnsembleClassifier`` (as onnxmltools exports LightGBM).

    Returns
    -------
    onnx.ModelProto
        Same input name, outputs ``label`` (int64, (N,)) and ``probabilities`` (float32, (N, 2)).

    Raises
    ------
    TreeTensorError
        An unsupported tree model (see the module docstring).
    """
    spec = TreeEnsembleSpec(_find_tree_node(model))
    feat, thr, lt, miss, cc, dd, ee = _tree_tensors(spec)
    n_trees, n_int = feat.shape
    x_in = model.graph.input[0]
    x_name = x_in.name
    inits = [
        numpy_helper.from_array(feat.reshape(-1), "tt_feature"),
        numpy_helper.from_array(thr.reshape(1, -1), "tt_threshold"),
        numpy_helper.from_array(~lt.reshape(1, -1), "tt_is_leq"),
        numpy_helper.from_array(miss.reshape(1, -1), "tt_missing_true"),
        numpy_helper.from_array(cc, "tt_paths"),
        numpy_helper.from_array(dd, "tt_true_edges"),
        numpy_helper.from_array(ee, "tt_leaf_weights"),
        numpy_helper.from_array(np.array([0, n_trees, n_int], dtype=np.int64), "tt_shape"),
        numpy_helper.from_array(np.array([0], dtype=np.int64), "tt_axis0"),
        numpy_helper.from_array(np.array([spec.base], dtype=np.float32), "tt_base"),
        numpy_helper.from_array(np.array([1.0], dtype=np.float32), "tt_one"),
    ]
    nodes = [
        helper.make_node("Gather", [x_name, "tt_feature"], ["tt_xg"], axis=1),
        helper.make_node("IsNaN", ["tt_xg"], ["tt_nan"]),
        helper.make_node("LessOrEqual", ["tt_xg", "tt_threshold"], ["tt_le"]),
        helper.make_node("Less", ["tt_xg", "tt_threshold"], ["tt_lt"]),
        # boolean logic instead of Where (no bool Where kernel): lt implies le; NaN compares False
        helper.make_node("And", ["tt_le", "tt_is_leq"], ["tt_le_mode"]),
        helper.make_node("Or", ["tt_lt", "tt_le_mode"], ["tt_cmp"]),
        helper.make_node("And", ["tt_nan", "tt_missing_true"], ["tt_nan_true"]),
        helper.make_node("Or", ["tt_cmp", "tt_nan_true"], ["tt_dec"]),
        helper.make_node("Cast", ["tt_dec"], ["tt_decf"], to=TensorProto.FLOAT),
        helper.make_node("Reshape", ["tt_decf", "tt_shape"], ["tt_dec3"]),
        helper.make_node("Transpose", ["tt_dec3"], ["tt_dec_t"], perm=[1, 0, 2]),
        helper.make_node("MatMul", ["tt_dec_t", "tt_paths"], ["tt_s"]),
        helper.make_node("Equal", ["tt_s", "tt_true_edges"], ["tt_hit"]),
        helper.make_node("Cast", ["tt_hit"], ["tt_hitf"], to=TensorProto.FLOAT),
        helper.make_node("MatMul", ["tt_hitf", "tt_leaf_weights"], ["tt_v"]),
        helper.make_node("ReduceSum", ["tt_v", "tt_axis0"], ["tt_sum"], keepdims=0),
        helper.make_node("Add", ["tt_sum", "tt_base"], ["tt_score"]),
    ]
    for k, node in enumerate(nodes):
        node.name = f"tt_{k}_{node.op_type}"
    if spec.post_transform == "LOGISTIC":
        nodes.append(helper.make_node("Sigmoid", ["tt_score"], ["tt_p1"]))
    else:
        nodes.append(helper.make_node("Identity", ["tt_score"], ["tt_p1"]))
    nodes += [
        helper.make_node("Sub", ["tt_one", "tt_p1"], ["tt_p0"]),
        helper.make_node("Concat", ["tt_p0", "tt_p1"], ["probabilities"], axis=1),
        helper.make_node("ArgMax", ["probabilities"], ["label"], axis=1, keepdims=0),
    ]
    for k, node in enumerate(nodes):
        node.name = node.name or f"tt_{k}_{node.op_type}"
    graph = helper.make_graph(
        nodes,
        "tree_tensor",
        [x_in],
        [
            helper.make_tensor_value_info("label", TensorProto.INT64, ["N"]),
            helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", 2]),
        ],
        initializer=inits,
    )
    out = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="aureus-tree-tensor"
    )
    out.ir_version = IR_VERSION  # the onnx package writes a newer IR than onnxruntime 1.31 reads
    onnx.checker.check_model(out)
    return out


def executed_providers(
    model_bytes: bytes, providers: Sequence[str], sample: np.ndarray, *, input_name: str = "features"
) -> dict[str, str]:
    """The execution provider that actually ran each node, from onnxruntime's profile.

    A session's first provider says nothing about where a node runs: onnxruntime places each node on
    the first provider that has a kernel for it. This runs ``sample`` once with profiling on and reads
    the ``provider`` of every node event.

    Returns
    -------
    dict of str to str
        ``"<op_type>:<node name>" -> provider`` for every node that ran.
    """
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.enable_profiling = True
    options.log_severity_level = 3
    with tempfile.TemporaryDirectory() as tmp:
        options.profile_file_prefix = os.path.join(tmp, "ort_profile")
        session = ort.InferenceSession(model_bytes, options, providers=list(providers))
        session.run(None, {input_name: np.ascontiguousarray(sample, dtype=np.float32)})
        path = session.end_profiling()
        with open(path) as f:
            events = json.load(f)
    placed: dict[str, str] = {}
    for ev in events:
        args = ev.get("args") or {}
        if ev.get("cat") == "Node" and "provider" in args:
            placed[f"{args.get('op_name', '?')}:{ev['name'].removesuffix('_kernel_time')}"] = args["provider"]
    return placed
