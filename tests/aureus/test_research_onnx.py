"""The per-regime calibration graph appended to an exported LightGBM model matches NumPy."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import onnxruntime as ort

from aureus.research_onnx import CALIBRATED_OUTPUT, append_calibration
from aureus.train_onnx import INPUT_NAME, export_onnx
from engine.research.calibration import (
    RegimeCalibrator,
    assign_regimes,
    calibrate,
    fit_calibrators,
    fit_regime_thresholds,
)


def test_calibrated_graph_matches_numpy_per_regime():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(4000, 3)).astype(np.float32)
    x[:, 2] = np.abs(x[:, 2])  # the "ATR%" column
    y = (x[:, 0] + 0.5 * rng.normal(size=4000) > 0).astype(np.int64)
    model = lgb.LGBMClassifier(n_estimators=15, num_leaves=7, verbose=-1, num_threads=1).fit(
        x[:2000], y[:2000]
    )
    thresholds = fit_regime_thresholds(x[:2000, 2])
    regimes = assign_regimes(x[2000:3000, 2], thresholds)
    cals = fit_calibrators(model, x[2000:3000], y[2000:3000], regimes)
    # force one regime of each kind so every branch of the graph runs
    cals[2] = RegimeCalibrator(regime="high_vol", method="none", params={})
    cals[1] = RegimeCalibrator(regime="med_vol", method="sigmoid", params={"a": -1.3, "b": 0.2})
    assert cals[0].method in ("isotonic", "sigmoid")
    cals[0] = RegimeCalibrator(
        regime="low_vol", method="isotonic", params={"x": [-2.0, 0.0, 1.5], "y": [0.1, 0.4, 0.9]}
    )
    proto = export_onnx(model, 3, graph_name="t", producer_version="t", metadata={}, target_opset=15)
    proto = append_calibration(proto, cals, thresholds, atr_index=2)
    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    test = x[3000:]
    raw, got = session.run(["probabilities", CALIBRATED_OUTPUT], {INPUT_NAME: test})
    reg = assign_regimes(test[:, 2], thresholds)
    assert set(np.unique(reg)) == {0, 1, 2}
    want = calibrate(cals, raw[:, 1].astype(np.float64), reg)
    np.testing.assert_allclose(got[:, 0], want, atol=1e-6)
    # the isotonic regime really interpolates (not a pass-through)
    low = reg == 0
    assert np.abs(got[low, 0] - raw[low, 1]).max() > 0.01
