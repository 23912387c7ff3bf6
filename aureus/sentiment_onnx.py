"""The sentiment model's ONNX graph, built from fitted scikit-learn pieces (no converter: see
:mod:`engine.news.sentiment` for why).

logits = sparse part + dense part + bias, probabilities = softmax(logits):

- sparse: term counts (one entry per non-zero) -> sublinear tf * idf -> L2 normalisation of each row
  *within its block* (word n-grams, char n-grams: each term's block is a table in the graph) -> the linear
  layer's rows for those terms, summed per row;
- dense: a ``(n, d)`` matrix (the domain features, then the mean static token embedding) -> minus mean,
  divided by scale (StandardScaler, with each block's weight folded into the scale) -> ``@ weights``.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from engine.news.sentiment import (
    INPUT_COUNTS,
    INPUT_DENSE,
    INPUT_N,
    INPUT_ROWS,
    INPUT_TERMS,
    OUTPUT_PROBABILITIES,
)

OPSET = 18


def build_graph(
    *,
    idf: np.ndarray,
    term_block: np.ndarray,
    n_blocks: int,
    sparse_coef: np.ndarray,
    dense_mean: np.ndarray,
    dense_scale: np.ndarray,
    dense_coef: np.ndarray,
    intercept: np.ndarray,
) -> onnx.ModelProto:
    """The graph; ``*_coef``: the logistic regression's ``coef_`` columns of each part (classes x inputs)."""
    n_classes = sparse_coef.shape[0]
    f32 = np.float32
    inits = [
        numpy_helper.from_array(idf.astype(f32), "idf"),
        numpy_helper.from_array(term_block.astype(np.int64), "term_block"),
        numpy_helper.from_array(np.array([n_blocks], dtype=np.int64), "n_blocks"),
        numpy_helper.from_array(np.array(n_blocks, dtype=np.int64), "n_blocks_scalar"),
        numpy_helper.from_array(np.ascontiguousarray(sparse_coef.T, dtype=f32), "weights"),
        numpy_helper.from_array(dense_mean.astype(f32), "dense_mean"),
        numpy_helper.from_array(dense_scale.astype(f32), "dense_scale"),
        numpy_helper.from_array(np.ascontiguousarray(dense_coef.T, dtype=f32), "dense_weights"),
        numpy_helper.from_array(intercept.astype(f32), "bias"),
        numpy_helper.from_array(np.array([n_classes], dtype=np.int64), "n_classes"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), "axis1"),
        numpy_helper.from_array(np.array(1.0, dtype=f32), "one"),
        numpy_helper.from_array(np.array(0.0, dtype=f32), "zero"),
    ]
    zero_fill = helper.make_tensor("z", TensorProto.FLOAT, [1], [0.0])
    node = helper.make_node
    nodes = [
        node("Log", [INPUT_COUNTS], ["log_tf"]),
        node("Add", ["log_tf", "one"], ["tf"]),
        node("Gather", ["idf", INPUT_TERMS], ["idf_terms"]),
        node("Mul", ["tf", "idf_terms"], ["w"]),
        node("Mul", ["w", "w"], ["w2"]),
        # one norm per (row, block): segment = row * n_blocks + block of the term
        node("Gather", ["term_block", INPUT_TERMS], ["blocks"]),
        node("Mul", [INPUT_ROWS, "n_blocks_scalar"], ["row_base"]),
        node("Add", ["row_base", "blocks"], ["segments"]),
        node("Unsqueeze", ["segments", "axis1"], ["segments_2d"]),
        node("Mul", [INPUT_N, "n_blocks"], ["n_segments"]),
        node("ConstantOfShape", ["n_segments"], ["zeros_seg"], value=zero_fill),
        node("ScatterND", ["zeros_seg", "segments_2d", "w2"], ["norm2"], reduction="add"),
        node("Sqrt", ["norm2"], ["norm"]),
        node("Equal", ["norm", "zero"], ["empty"]),
        node("Where", ["empty", "one", "norm"], ["safe_norm"]),
        node("Gather", ["safe_norm", "segments"], ["term_norm"]),
        node("Div", ["w", "term_norm"], ["w_unit"]),
        node("Gather", ["weights", INPUT_TERMS], ["term_weights"]),
        node("Unsqueeze", ["w_unit", "axis1"], ["w_col"]),
        node("Mul", ["term_weights", "w_col"], ["contrib"]),
        node("Unsqueeze", [INPUT_ROWS, "axis1"], ["rows_2d"]),
        node("Concat", [INPUT_N, "n_classes"], ["logit_shape"], axis=0),
        node("ConstantOfShape", ["logit_shape"], ["zeros_logits"], value=zero_fill),
        node("ScatterND", ["zeros_logits", "rows_2d", "contrib"], ["sparse_logits"], reduction="add"),
        node("Sub", [INPUT_DENSE, "dense_mean"], ["dense_centred"]),
        node("Div", ["dense_centred", "dense_scale"], ["dense_scaled"]),
        node("MatMul", ["dense_scaled", "dense_weights"], ["dense_logits"]),
        node("Add", ["sparse_logits", "dense_logits"], ["raw_logits"]),
        node("Add", ["raw_logits", "bias"], ["logits"]),
        node("Softmax", ["logits"], [OUTPUT_PROBABILITIES], axis=1),
    ]
    graph = helper.make_graph(
        nodes,
        "aureus_sentiment",
        [
            helper.make_tensor_value_info(INPUT_ROWS, TensorProto.INT64, ["nnz"]),
            helper.make_tensor_value_info(INPUT_TERMS, TensorProto.INT64, ["nnz"]),
            helper.make_tensor_value_info(INPUT_COUNTS, TensorProto.FLOAT, ["nnz"]),
            helper.make_tensor_value_info(INPUT_N, TensorProto.INT64, [1]),
            helper.make_tensor_value_info(INPUT_DENSE, TensorProto.FLOAT, ["n", int(dense_mean.shape[0])]),
        ],
        [helper.make_tensor_value_info(OUTPUT_PROBABILITIES, TensorProto.FLOAT, ["n", n_classes])],
        initializer=inits,
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="aureus.train"
    )
    model.ir_version = 9
    onnx.checker.check_model(model)
    return model
