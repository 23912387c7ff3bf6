"""ONNX export of a walk-forward fold's model with its per-regime calibration, and its manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import onnxruntime as ort

from aureus.research_onnx import CALIBRATED_OUTPUT, append_calibration
from aureus.train_onnx import (
    INPUT_NAME,
    check_onnx_matches,
    export_with_lineage,
    lightgbm_manifest,
    write_onnx,
)
from engine.features.vector import FEATURE_NAMES, FeatureParams
from engine.models.dataset import LabelledRows
from engine.models.errors import ModelExportError
from engine.models.manifest import (
    SplitInfo,
    iso_from_ns,
    manifest_path,
    write_manifest,
)
from engine.research.calibration import REGIMES, assign_regimes, calibrate
from engine.research.labels import LabelSpec

ATR_INDEX = FEATURE_NAMES.index("atr_norm")


def export_calibrated(
    spec: LabelSpec,
    rows: LabelledRows,
    x32: np.ndarray,
    fold: Any,
    model: lgb.LGBMClassifier,
    cals: list,
    thresholds: tuple[float, float],
    report: dict[str, Any],
    lineage: Any,
    out: Path,
    seed: int,
    config: Any,
    params: FeatureParams,
    hyper: dict[str, Any],
) -> str:
    """Export ``model`` + calibrators to ONNX, check both outputs, write it and its manifest.

    ``config`` is the run's ``WalkForwardConfig``. Returns the ONNX file name.

    Raises
    ------
    ModelExportError
        The raw output differs from LightGBM by more than 1e-5, or the calibration graph from NumPy
        by more than ``config.tolerance``.
    """
    s, v, o = fold.search, fold.validation, fold.oos
    split = SplitInfo(
        method=f"walk_forward_{config.mode}_last_fold",
        train_fraction=float(s.size / len(rows)),
        train_end=iso_from_ns(int(rows.ts[s[-1]])),
        valid_start=iso_from_ns(int(rows.ts[v[0]])),
        train_end_ns=int(rows.ts[s[-1]]),
        valid_start_ns=int(rows.ts[v[0]]),
        gap_bars=spec.horizon,
    )
    hyper_record = {
        **hyper,
        "horizon_bars": spec.horizon,
        "n_folds": config.n_folds,
        "search_blocks": config.search_blocks,
        "mode": config.mode,
    }
    proto, schema_id, lineage_id = export_with_lineage(
        model,
        x32.shape[1],
        name=spec.name,
        version=config.version,
        params=params,
        data_content_hash=lineage.content_hash,
        hyperparameters=hyper_record,
        seed=seed,
        split=split,
        target_opset=config.target_opset,
    )
    proto = append_calibration(proto, cals, thresholds, ATR_INDEX)
    data = proto.SerializeToString()
    check = x32[np.concatenate([v, o])]
    raw_diff = check_onnx_matches(data, model, check, 1e-5)
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    onnx_raw, got = session.run(["probabilities", CALIBRATED_OUTPUT], {INPUT_NAME: check})
    got = got[:, 0].astype(np.float64)
    regimes = assign_regimes(check[:, ATR_INDEX], thresholds)
    # the graph's arithmetic, checked on its own raw output; the end-to-end difference against
    # scikit-learn (float64) is recorded: steep isotonic segments amplify float32 rounding of the margin
    graph_diff = float(np.abs(got - calibrate(cals, onnx_raw[:, 1].astype(np.float64), regimes)).max())
    cal_diff = float(np.abs(got - calibrate(cals, model.predict_proba(check)[:, 1], regimes)).max())
    if not graph_diff <= config.tolerance:
        raise ModelExportError(f"{spec.name}: calibration graph differs from NumPy by {graph_diff:.3g}")
    onnx_name = f"{spec.name}.onnx"
    write_onnx(out / onnx_name, data)
    research = {
        "label_kind": spec.kind,
        "primary": spec.name == config.primary,
        "regimes": list(REGIMES),
        "regime_feature": "atr_norm",
        "regime_thresholds": list(thresholds),
        "gates": dict(zip(REGIMES, config.gates().tolist(), strict=True)),
        "calibrators": [c.summary() for c in cals],
        "folds": report["folds"],
        "oos": report["oos"],
        "oos_regimes": report["regimes"],
        "observation_days": report["observation_days"],
        "take_profit_atr": spec.take_profit_atr,
        "stop_atr": spec.stop_atr,
        "round_trip_fee": spec.round_trip_fee,
        "onnx_max_abs_diff_raw": raw_diff,
        "onnx_max_abs_diff_cal": cal_diff,
        "onnx_max_abs_diff_cal_graph": graph_diff,
    }
    metrics = {k: report["oos"][k] for k in ("auc", "brier", "ece_raw", "ece_cal", "lift_at_10pct", "n")}
    manifest = lightgbm_manifest(
        proto,
        data,
        params=params,
        schema_id=schema_id,
        name=spec.name,
        version=config.version,
        model_kind="lightgbm+regime_calibration",
        task="binary_classification",
        label=spec.describe(),
        horizon_bars=spec.horizon,
        output_name=CALIBRATED_OUTPUT,
        output_index=0,
        onnx_file=onnx_name,
        data=lineage,
        split=split,
        metrics=metrics,
        seed=seed,
        hyperparameters=hyper_record,
        lineage_id=lineage_id,
        research=research,
    )
    write_manifest(manifest_path(out, spec.name), manifest)
    return onnx_name
