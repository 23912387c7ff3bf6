"""Per-regime calibration appended to a LightGBM ONNX graph: one session gives raw and calibrated.

The nodes added to the exported classifier read its ``probabilities`` output and the ``atr_norm``
column of its ``features`` input and write ``prob_cal`` (``[N, 1]``): margin ``m = log p - log(1-p)``,
each regime's calibrator on ``m`` (isotonic: piecewise-linear interpolation between knots, written as a
sum of clamped segments; Platt: ``sigmoid(-(a m + b))``; none: ``p``), and the row's regime chosen by
comparing ``atr_norm`` with the two tercile thresholds. The calibration runs in float64 (steep
isotonic segments would amplify float32 rounding of the margin) and the result is cast to float32.
Only operators present since opset 9 are used (Gather, Min, Max, Sub, Mul, Add, MatMul, Log,
Sigmoid, Less, Cast, Concat), so the graph keeps the opset the converter chose. Written by hand:
skl2onnx converts ``CalibratedClassifierCV`` but not one calibrator per regime selected by a feature.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from aureus.train_onnx import INPUT_NAME, OUTPUT_NAME
from engine.models.errors import ModelExportError
from engine.research.calibration import RegimeCalibrator

CALIBRATED_OUTPUT = "prob_cal"
_EPS = 1e-15  # as engine.research.calibration.margin
_F64 = np.float64


class _Builder:
    def __init__(self, graph: onnx.GraphProto) -> None:
        self.graph = graph
        self.count = 0

    def const(self, name: str, value: np.ndarray) -> str:
        full = f"cal_{name}"
        self.graph.initializer.append(numpy_helper.from_array(np.asarray(value), name=full))
        return full

    def node(self, op: str, inputs: list[str], **attrs: object) -> str:
        self.count += 1
        out = f"cal_{op.lower()}_{self.count}"
        self.graph.node.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out


def _isotonic(b: _Builder, margin: str, x: list[float], y: list[float], tag: str) -> str:
    xs = np.asarray(x, dtype=np.float64)
    ys = np.asarray(y, dtype=np.float64)
    if xs.size == 1:
        zero = b.node("Mul", [margin, b.const(f"{tag}_zero", np.zeros((1, 1), _F64))])
        return b.node("Add", [zero, b.const(f"{tag}_y0", np.full((1, 1), ys[0], _F64))])
    if np.any(np.diff(xs) <= 0):
        raise ModelExportError(f"{tag}: isotonic knots must be strictly increasing")
    lo = xs[:-1].astype(_F64).reshape(1, -1)
    hi = xs[1:].astype(_F64).reshape(1, -1)
    slope = (np.diff(ys) / np.diff(xs)).astype(_F64).reshape(-1, 1)
    clamped = b.node("Max", [b.node("Min", [margin, b.const(f"{tag}_hi", hi)]), b.const(f"{tag}_lo", lo)])
    seg = b.node("Sub", [clamped, b.const(f"{tag}_lo2", lo)])
    summed = b.node("MatMul", [seg, b.const(f"{tag}_slope", slope)])
    return b.node("Add", [summed, b.const(f"{tag}_y0", np.full((1, 1), ys[0], _F64))])


def _sigmoid(b: _Builder, margin: str, a: float, bias: float, tag: str) -> str:
    scaled = b.node("Mul", [margin, b.const(f"{tag}_a", np.full((1, 1), -a, _F64))])
    return b.node("Sigmoid", [b.node("Add", [scaled, b.const(f"{tag}_b", np.full((1, 1), -bias, _F64))])])


def append_calibration(
    proto: onnx.ModelProto,
    calibrators: list[RegimeCalibrator],
    thresholds: tuple[float, float],
    atr_index: int,
) -> onnx.ModelProto:
    """Add the per-regime calibration nodes and the ``prob_cal`` output to ``proto`` (in place).

    Parameters
    ----------
    proto : onnx.ModelProto
        A classifier exported by ``aureus.train_onnx.export_onnx``.
    calibrators : list of RegimeCalibrator
        One per regime, ``low_vol, med_vol, high_vol`` order.
    thresholds : tuple of float
        ATR% tercile thresholds ``(t1, t2)``.
    atr_index : int
        Column of ``atr_norm`` in the feature input.

    Returns
    -------
    onnx.ModelProto
        ``proto``, checked.
    """
    if len(calibrators) != 3:
        raise ModelExportError(f"expected 3 regime calibrators, got {len(calibrators)}")
    b = _Builder(proto.graph)
    prob = b.node("Gather", [OUTPUT_NAME, b.const("col1", np.array([1], np.int64))], axis=1)
    prob = b.node("Cast", [prob], to=TensorProto.DOUBLE)
    prob = b.node(
        "Min",
        [
            b.node("Max", [prob, b.const("eps", np.full((1, 1), _EPS, _F64))]),
            b.const("one_minus_eps", np.full((1, 1), 1 - _EPS, _F64)),
        ],
    )
    one = b.const("one", np.ones((1, 1), _F64))
    margin = b.node("Sub", [b.node("Log", [prob]), b.node("Log", [b.node("Sub", [one, prob])])])
    outs = []
    for r, cal in enumerate(calibrators):
        tag = f"r{r}"
        if cal.method == "isotonic":
            outs.append(_isotonic(b, margin, cal.params["x"], cal.params["y"], tag))
        elif cal.method == "sigmoid":
            outs.append(_sigmoid(b, margin, cal.params["a"], cal.params["b"], tag))
        elif cal.method == "none":
            outs.append(prob)
        else:
            raise ModelExportError(f"unknown calibration method {cal.method!r}")
    stacked = b.node("Concat", outs, axis=1)
    atr = b.node("Gather", [INPUT_NAME, b.const("atr_col", np.array([atr_index], np.int64))], axis=1)
    t1 = b.const("t1", np.full((1, 1), thresholds[0], np.float32))
    t2 = b.const("t2", np.full((1, 1), thresholds[1], np.float32))
    below1 = b.node("Cast", [b.node("Less", [atr, t1])], to=TensorProto.DOUBLE)
    below2 = b.node("Cast", [b.node("Less", [atr, t2])], to=TensorProto.DOUBLE)
    onehot = b.node("Concat", [below1, b.node("Sub", [below2, below1]), b.node("Sub", [one, below2])], axis=1)
    picked = b.node("Mul", [stacked, onehot])
    result = b.node("MatMul", [picked, b.const("ones3", np.ones((3, 1), _F64))])
    proto.graph.node.append(
        helper.make_node("Cast", [result], [CALIBRATED_OUTPUT], name="cal_output", to=TensorProto.FLOAT)
    )
    proto.graph.output.append(helper.make_tensor_value_info(CALIBRATED_OUTPUT, TensorProto.FLOAT, [None, 1]))
    try:
        onnx.checker.check_model(proto)
    except onnx.checker.ValidationError as e:
        raise ModelExportError(f"calibrated ONNX graph is invalid: {e}") from e
    return proto
