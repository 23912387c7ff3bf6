"""A verified ONNX tree model as flat arrays, read from the graph itself, for the numba evaluator.

:func:`compile_tree_model` reads the ``ai.onnx.ml.TreeEnsembleClassifier`` node's attributes (node
features, thresholds, modes, true/false ids, missing-value tracks, class weights, base values,
post transform) and checks that the output the manifest names is that node's probability output,
reached only through ``Identity`` nodes and ``Mul`` by a float32 scalar 1.0 (what the LightGBM
converter emits). Anything else — calibration nodes after the tree, a regressor, several classes,
``*_as_tensor`` (double) attributes, base values, leaves with several weights, PROBIT — raises
:class:`TreeProgramUnsupported`, and the bundle keeps onnxruntime for it.

The arithmetic the evaluator must reproduce is onnxruntime's (``tree_ensemble_common.h`` /
``tree_ensemble_aggregator.h`` / ``ml_common.h``, CPU provider, one intra-op thread): float32
features compared with float32 thresholds, ``val <op> threshold || (missing_track_true && isnan(val))``
for every branch mode, leaf weights summed in float32 in tree order, then for a binary classifier
whose weights all go to one class: probabilities ``[logistic(-s), logistic(s)]`` with
``logistic(v) = 1 / (1 + expf(-|v|))`` (``1 - that`` for v < 0) under LOGISTIC; without a
transform ``[1 - s, s]`` when no weight is negative, else ``[-s, s]`` (onnxruntime 1.31, checked
against it on hypothesis-drawn ensembles in the tests).
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import helper, numpy_helper

from engine.models.errors import ModelError

MODES = {"BRANCH_LEQ": 0, "BRANCH_LT": 1, "BRANCH_GTE": 2, "BRANCH_GT": 3, "BRANCH_EQ": 4, "BRANCH_NEQ": 5}
LEAF = -1

# how a model's score becomes its output column (see the module docstring)
KIND_LOGISTIC = 0  # LOGISTIC: [logistic(-s), logistic(s)]
KIND_SIGNED = 1  # NONE, some weight negative: [-s, s]
KIND_COMPLEMENT = 2  # NONE, no weight negative: [1 - s, s]

_KNOWN_ATTRS = {
    "base_values",
    "class_ids",
    "class_nodeids",
    "class_treeids",
    "class_weights",
    "classlabels_int64s",
    "classlabels_strings",
    "nodes_falsenodeids",
    "nodes_featureids",
    "nodes_hitrates",
    "nodes_missing_value_tracks_true",
    "nodes_modes",
    "nodes_nodeids",
    "nodes_treeids",
    "nodes_truenodeids",
    "nodes_values",
    "post_transform",
}


class TreeProgramUnsupported(ModelError):
    """A model graph the numba evaluator does not reproduce; the message says what it has instead."""


class TreeProgram:
    """One model's trees as flat arrays (nodes of every tree concatenated, tree order kept).

    Attributes
    ----------
    nodes : numpy.ndarray
        int32 ``(n, 5)``: feature index (``LEAF`` for a leaf), mode code, missing-track-true flag,
        true child and false child (indices into these arrays).
    values : numpy.ndarray
        float32 ``(n, 2)``: threshold, leaf weight.
    roots : numpy.ndarray
        int32 index of each tree's root, in onnxruntime's tree order.
    kind : int
        ``KIND_*`` output rule.
    column : int
        The output column the manifest reads (``output_index``).
    n_features : int
        Input width.
    """

    def __init__(self, nodes, values, roots, kind: int, column: int, n_features: int) -> None:
        self.nodes = nodes
        self.values = values
        self.roots = roots
        self.kind = kind
        self.column = column
        self.n_features = n_features


def _producers(graph: onnx.GraphProto) -> dict[str, onnx.NodeProto]:
    return {out: node for node in graph.node for out in node.output}


def _scalar_one(graph: onnx.GraphProto, name: str) -> bool:
    for init in graph.initializer:
        if init.name == name:
            a = numpy_helper.to_array(init)
            return a.dtype == np.float32 and a.size == 1 and float(a.reshape(())) == 1.0
    return False


def _tree_node_for(graph: onnx.GraphProto, output: str) -> onnx.NodeProto:
    """Walk back from ``output`` through Identity / Mul-by-1.0 to the tree's probability output."""
    producers = _producers(graph)
    name = output
    for _ in range(len(graph.node) + 1):
        node = producers.get(name)
        if node is None:
            raise TreeProgramUnsupported(f"output {output!r} is not computed by the tree")
        if node.op_type == "TreeEnsembleClassifier" and node.domain == "ai.onnx.ml":
            if len(node.output) < 2 or node.output[1] != name:
                raise TreeProgramUnsupported(f"output {output!r} is the tree's label, not its scores")
            return node
        times_one = node.op_type == "Mul" and len(node.input) == 2
        if node.op_type == "Identity" or (times_one and _scalar_one(graph, node.input[1])):
            name = node.input[0]
        elif times_one and _scalar_one(graph, node.input[0]):
            name = node.input[1]
        else:
            raise TreeProgramUnsupported(
                f"output {output!r} passes through {node.op_type} node {node.name!r} after the tree"
            )
    raise TreeProgramUnsupported(f"output {output!r}: cycle in the graph")


def compile_tree_model(model_bytes: bytes, output_name: str, output_index: int) -> TreeProgram:
    """Flat arrays of the tree model that computes ``output_name`` (see the module docstring).

    Raises
    ------
    TreeProgramUnsupported
        The graph has something the evaluator does not reproduce exactly.
    """
    proto = onnx.load_from_string(model_bytes)
    graph = proto.graph
    node = _tree_node_for(graph, output_name)
    if len(graph.input) != 1 or node.input[0] != graph.input[0].name:
        raise TreeProgramUnsupported("the tree does not read the graph's only input")
    tensor = graph.input[0].type.tensor_type
    if tensor.elem_type != onnx.TensorProto.FLOAT:
        raise TreeProgramUnsupported(f"input type {tensor.elem_type} is not float32")
    width = tensor.shape.dim[-1].dim_value if tensor.shape.dim else 0
    attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    unknown = sorted(set(attrs) - _KNOWN_ATTRS)
    if unknown:
        raise TreeProgramUnsupported(f"tree attributes {unknown} are not implemented")
    post = attrs.get("post_transform", b"NONE")
    post = post.decode() if isinstance(post, bytes) else post
    labels = attrs.get("classlabels_int64s") or attrs.get("classlabels_strings") or []
    class_ids = np.asarray(attrs["class_ids"], dtype=np.int64)
    if len(labels) != 2 or len(set(class_ids.tolist())) != 1:
        raise TreeProgramUnsupported(
            f"{len(labels)} class labels with weights for classes {sorted(set(class_ids.tolist()))}: "
            "only a binary classifier with one weighted class is implemented"
        )
    if any(float(b) != 0.0 for b in attrs.get("base_values") or []):
        raise TreeProgramUnsupported("non-zero base_values are not implemented")
    weights = np.asarray(attrs["class_weights"], dtype=np.float32)
    if post == "LOGISTIC":
        kind = KIND_LOGISTIC
    elif post != "NONE":
        raise TreeProgramUnsupported(f"post_transform {post!r} is not implemented")
    elif bool(np.all(weights >= 0)):
        kind = KIND_COMPLEMENT
    else:
        kind = KIND_SIGNED
    if output_index not in (0, 1):
        raise TreeProgramUnsupported(f"output_index {output_index} of a two-column output")

    tree_ids = np.asarray(attrs["nodes_treeids"], dtype=np.int64)
    node_ids = np.asarray(attrs["nodes_nodeids"], dtype=np.int64)
    n = tree_ids.size
    modes = [m.decode() if isinstance(m, bytes) else m for m in attrs["nodes_modes"]]
    bad = sorted({m for m in modes if m != "LEAF" and m not in MODES})
    if bad:
        raise TreeProgramUnsupported(f"node modes {bad} are not implemented")
    index = {(int(t), int(k)): i for i, (t, k) in enumerate(zip(tree_ids, node_ids, strict=True))}
    if len(index) != n:
        raise TreeProgramUnsupported("duplicate (tree id, node id) pairs")
    missing = attrs.get("nodes_missing_value_tracks_true") or [0] * n
    nodes = np.zeros((n, 5), dtype=np.int32)
    values = np.zeros((n, 2), dtype=np.float32)
    values[:, 0] = np.asarray(attrs["nodes_values"], dtype=np.float32)
    for i in range(n):
        t = int(tree_ids[i])
        if modes[i] == "LEAF":
            nodes[i] = (LEAF, 0, 0, i, i)
            continue
        try:
            true_i = index[(t, int(attrs["nodes_truenodeids"][i]))]
            false_i = index[(t, int(attrs["nodes_falsenodeids"][i]))]
        except KeyError as e:
            raise TreeProgramUnsupported(f"tree {t}: a child id {e} does not exist") from e
        feature = int(attrs["nodes_featureids"][i])
        if feature < 0 or (width and feature >= width):
            raise TreeProgramUnsupported(f"tree {t}: feature index {feature} outside the input")
        nodes[i] = (feature, MODES[modes[i]], 1 if missing[i] else 0, true_i, false_i)
    weighted = np.zeros(n, dtype=bool)
    for t, k, w in zip(attrs["class_treeids"], attrs["class_nodeids"], weights, strict=True):
        i = index.get((int(t), int(k)))
        if i is None or modes[i] != "LEAF":
            raise TreeProgramUnsupported(f"class weight for tree {t} node {k}, which is not a leaf")
        if weighted[i]:
            raise TreeProgramUnsupported(f"tree {t} leaf {k} has several weights")
        weighted[i] = True
        values[i, 1] = w
    # trees in attribute order (onnxruntime's); a root is the one node of a tree nobody points to
    order = list(dict.fromkeys(tree_ids.tolist()))
    if order != sorted(order):
        raise TreeProgramUnsupported("tree ids are not in ascending order in the node attributes")
    inner = nodes[:, 0] != LEAF
    children = set(nodes[inner, 3].tolist()) | set(nodes[inner, 4].tolist())
    roots = []
    for t in order:
        tops = [i for i in np.flatnonzero(tree_ids == t).tolist() if i not in children]
        if len(tops) != 1:
            raise TreeProgramUnsupported(f"tree {t} has {len(tops)} roots")
        roots.append(tops[0])
    return TreeProgram(nodes, values, np.asarray(roots, dtype=np.int32), kind, int(output_index), int(width))
