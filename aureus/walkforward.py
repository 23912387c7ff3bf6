"""Walk-forward research run: recording -> labels -> purged walk-forward -> LightGBM -> per-regime
calibration -> OOS predictions, metrics, pictures -> calibrated ONNX model set with manifests.

Each label (``p_short`` / ``p_mid`` fixed-horizon, ``p_touch`` / ``p_touch_short`` first-touch net of
fees for a long / short entry) gets its own folds: the model of fold ``k`` is trained on the search
segment, calibrated per regime on the validation segment and only predicts the forward-OOS segment.
The shipped model of a label is the last fold's (its forward OOS is the final block, which nothing
was fitted on). Deterministic: single-thread LightGBM with fixed seeds, no wall-clock time in any
output.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import lightgbm as lgb
import msgspec
import numpy as np

from adapters.recorded import open_recording
from aureus.research_plots import lift_png, reliability_png
from aureus.train import StepCallback, TrainConfig, _lineage, lightgbm_params, load_bars, parse_settings
from aureus.walkforward_export import export_calibrated
from engine.features.vector import (
    FEATURE_NAMES,
    FeatureParams,
    compute_feature_matrix,
)
from engine.models.dataset import LabelledRows, stack_in_time_order
from engine.models.errors import DatasetError
from engine.models.manifest import (
    iso_from_ns,
    sha256_bytes,
)
from engine.research.calibration import (
    REGIMES,
    assign_regimes,
    calibrate,
    fit_calibrators,
    fit_regime_thresholds,
)
from engine.research.labels import LabelSpec, label_rows
from engine.research.metrics import binary_metrics, ece
from engine.research.splits import purged_kfold, walk_forward

ATR_INDEX = FEATURE_NAMES.index("atr_norm")
_DAY_NS = 86_400_000_000_000
PREDICTION_COLUMNS = ("ts", "instrument", "fold", "regime", "label", "prob_raw", "prob_cal")


class WalkForwardConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Settings of ``aureus train walkforward``; every field can be set with ``--set key=value``."""

    version: str = "wf-1"
    n_folds: Annotated[int, msgspec.Meta(ge=1)] = 4
    search_blocks: Annotated[int, msgspec.Meta(ge=1)] = 2
    mode: str = "expanding"
    short_horizon: Annotated[int, msgspec.Meta(ge=1)] = 5
    mid_horizon: Annotated[int, msgspec.Meta(ge=1)] = 60
    touch_horizon: Annotated[int, msgspec.Meta(ge=1)] = 60
    take_profit_atr: Annotated[float, msgspec.Meta(gt=0.0)] = 2.5
    stop_atr: Annotated[float, msgspec.Meta(gt=0.0)] = 1.8
    round_trip_fee: Annotated[float, msgspec.Meta(ge=0.0)] = 0.002
    primary: str = "p_touch"
    gate_low_vol: Annotated[float, msgspec.Meta(ge=0.0, le=1.0)] = 0.60
    gate_med_vol: Annotated[float, msgspec.Meta(ge=0.0, le=1.0)] = 0.62
    gate_high_vol: Annotated[float, msgspec.Meta(ge=0.0, le=1.0)] = 0.65
    n_estimators: Annotated[int, msgspec.Meta(ge=1)] = 150
    num_leaves: Annotated[int, msgspec.Meta(ge=2)] = 15
    learning_rate: Annotated[float, msgspec.Meta(gt=0.0)] = 0.03
    min_data_in_leaf: Annotated[int, msgspec.Meta(ge=1)] = 200
    feature_fraction: Annotated[float, msgspec.Meta(gt=0.0, le=1.0)] = 0.8
    bagging_fraction: Annotated[float, msgspec.Meta(gt=0.0, le=1.0)] = 0.8
    target_opset: Annotated[int, msgspec.Meta(ge=9, le=15)] = 15
    tolerance: Annotated[float, msgspec.Meta(gt=0.0)] = 1e-4
    baseline_dir: str = "models/baseline"
    kfold_splits: Annotated[int, msgspec.Meta(ge=0)] = 5

    def labels(self) -> list[LabelSpec]:
        """The label of each model of the set, in file order."""
        return [
            LabelSpec("p_short", "fixed", self.short_horizon),
            LabelSpec("p_mid", "fixed", self.mid_horizon),
            LabelSpec(
                "p_touch",
                "first_touch",
                self.touch_horizon,
                self.take_profit_atr,
                self.stop_atr,
                self.round_trip_fee,
            ),
            LabelSpec(
                "p_touch_short",
                "first_touch_short",
                self.touch_horizon,
                self.take_profit_atr,
                self.stop_atr,
                self.round_trip_fee,
            ),
        ]

    def gates(self) -> np.ndarray:
        """Probability gate per regime, ``REGIMES`` order."""
        return np.array([self.gate_low_vol, self.gate_med_vol, self.gate_high_vol])


@dataclass(frozen=True)
class WalkForwardResult:
    """What a run wrote: the output directory, the metrics document and the model names."""

    out_dir: Path
    metrics: dict[str, Any]
    models: tuple[str, ...]


def summarize(
    labels: np.ndarray, raw: np.ndarray, cal: np.ndarray, regimes: np.ndarray, gates: np.ndarray
) -> dict[str, Any]:
    """OOS metrics of rows: calibrated AUC/Brier/lift, raw and calibrated ECE, coverage at the gates."""
    m_cal = binary_metrics(labels, cal)
    m_raw = binary_metrics(labels, raw)
    taken = cal >= gates[regimes] if labels.size else np.zeros(0, dtype=bool)
    return {
        "n": m_cal["n"],
        "base_rate": m_cal["base_rate"],
        "auc": m_cal["auc"],
        "auc_raw": m_raw["auc"],
        "brier": m_cal["brier"],
        "brier_raw": m_raw["brier"],
        "ece_raw": m_raw["ece"],
        "ece_cal": m_cal["ece"],
        "lift_at_10pct": m_cal["lift_at_10pct"],
        "coverage": float(taken.mean()) if labels.size else None,
        "precision_at_gate": float(labels[taken].mean()) if taken.any() else None,
    }


def _per_regime(y: np.ndarray, raw: np.ndarray, cal: np.ndarray, reg: np.ndarray, gates: np.ndarray) -> dict:
    return {
        name: summarize(y[reg == r], raw[reg == r], cal[reg == r], reg[reg == r], gates)
        for r, name in enumerate(REGIMES)
    }


def run_walkforward(
    data_dir: str | Path,
    out_dir: str | Path,
    *,
    seed: int = 7,
    config: WalkForwardConfig | None = None,
    feature_params: FeatureParams | None = None,
    on_step: StepCallback | None = None,
) -> WalkForwardResult:
    """Run the walk-forward study on a recording and write the calibrated model set and its reports.

    Writes ``<name>.onnx`` + ``<name>.manifest.json`` per label, ``metrics.json`` (primary model at the
    top level, every model under ``models``), ``oos_predictions.csv`` (primary model),
    ``oos_predictions_<name>.csv`` (the others), ``reliability_<name>.png`` and ``lift_<name>.png``.

    Raises
    ------
    DatasetError, SplitError, CalibrationError, ModelExportError
        Unusable data, too little data for the folds, or an export that disagrees with the model.
    """
    config = config or WalkForwardConfig()
    params = feature_params or FeatureParams()
    step = on_step or (lambda _msg: None)
    if config.primary not in [s.name for s in config.labels()]:
        raise DatasetError(f"primary model {config.primary!r} is not one of the labels")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    step("verifying recording")
    recording = open_recording(data_dir)
    recording.verify()
    instruments = load_bars(recording)
    step(f"computing features for {len(instruments)} instruments")
    matrices = [compute_feature_matrix(b.open, b.high, b.low, b.close, b.volume, params) for b in instruments]
    lineage = _lineage(data_dir, recording, instruments)
    names = [b.instrument for b in instruments]
    interval_ns = max(b.interval_s for b in instruments) * 1_000_000_000
    hyper = lightgbm_params(
        TrainConfig(
            n_estimators=config.n_estimators,
            num_leaves=config.num_leaves,
            learning_rate=config.learning_rate,
            min_data_in_leaf=config.min_data_in_leaf,
            feature_fraction=config.feature_fraction,
            bagging_fraction=config.bagging_fraction,
        ),
        seed,
    )
    per_model: dict[str, Any] = {}
    files: dict[str, str] = {}
    for spec in config.labels():
        step(f"{spec.name}: labelling ({spec.kind}, {spec.horizon} bars) and walk-forward folds")
        rows = stack_in_time_order(
            [
                label_rows(spec, m, (b.ts, b.high, b.low, b.close), m[:, ATR_INDEX], i)
                for i, (m, b) in enumerate(zip(matrices, instruments, strict=True))
            ]
        )
        report, onnx_name = _study(
            spec, rows, names, lineage, out, seed, config, params, hyper, step, interval_ns
        )
        per_model[spec.name] = report
        files[onnx_name] = sha256_bytes((out / onnx_name).read_bytes())
    primary = per_model[config.primary]
    metrics = {
        "data_regime": "synthetic" if lineage.synthetic else "real",
        "data": msgspec.to_builtins(lineage),
        "config": msgspec.to_builtins(config),
        "feature_params": msgspec.to_builtins(params),
        "seed": seed,
        "primary": config.primary,
        "oos": primary["oos"],
        "folds": primary["folds"],
        "regimes": primary["regimes"],
        "observation_days": primary["observation_days"],
        "ece_bins": 10,
        "models": per_model,
        "files": files,
    }
    (out / "metrics.json").write_bytes(
        msgspec.json.format(msgspec.json.encode(metrics, order="deterministic"), indent=2) + b"\n"
    )
    return WalkForwardResult(out_dir=out, metrics=metrics, models=tuple(per_model))


def _study(
    spec: LabelSpec,
    rows: LabelledRows,
    names: list[str],
    lineage: Any,
    out: Path,
    seed: int,
    config: WalkForwardConfig,
    params: FeatureParams,
    hyper: dict[str, Any],
    step: StepCallback,
    interval_ns: int,
) -> tuple[dict[str, Any], str]:
    baseline_model, baseline_kind = _baseline(config.baseline_dir, spec.name, params)
    folds = walk_forward(
        rows.ts,
        rows.label_end_ts,
        n_folds=config.n_folds,
        search_blocks=config.search_blocks,
        mode=config.mode,
    )
    x32 = rows.features.astype(np.float32)
    y = rows.labels.astype(np.int64)
    gates = config.gates()
    fold_reports, pred_parts = [], []
    compare: dict[str, list[np.ndarray]] = {"v": [], "yv": [], "cand_v": [], "base_v": [], "base_o": []}
    for fold in folds:
        s, v, o = fold.search, fold.validation, fold.oos
        if np.unique(y[s]).size < 2:
            raise DatasetError(f"{spec.name} fold {fold.index}: search labels hold a single class")
        step(f"{spec.name} fold {fold.index}: train {s.size}, validate {v.size}, OOS {o.size}")
        model = lgb.LGBMClassifier(**hyper).fit(x32[s], y[s])
        thresholds = fit_regime_thresholds(x32[s, ATR_INDEX])
        cals = fit_calibrators(model, x32[v], y[v], assign_regimes(x32[v, ATR_INDEX], thresholds))
        reg_o = assign_regimes(x32[o, ATR_INDEX], thresholds)
        raw_o = model.predict_proba(x32[o])[:, 1]
        cal_o = calibrate(cals, raw_o, reg_o)
        no_skill = float(y[s].mean())
        compare["yv"].append(y[v])
        compare["cand_v"].append(model.predict_proba(x32[v])[:, 1])
        for key, rows_ in (("base_v", v), ("base_o", o)):
            base = baseline_model.predict(x32[rows_]) if baseline_model else np.full(rows_.size, no_skill)
            compare[key].append(base)
        bounds = {k: [iso_from_ns(a), iso_from_ns(b)] for k, (a, b) in fold.bounds(rows.ts).items()}
        fold_reports.append(
            {
                "fold": fold.index,
                "bounds": bounds,
                "n_search": int(s.size),
                "n_validation": int(v.size),
                "validation_raw": binary_metrics(y[v], model.predict_proba(x32[v])[:, 1]),
                "regime_thresholds": list(thresholds),
                "calibrators": [c.summary() | {"params": _short(c.params)} for c in cals],
                "oos": summarize(y[o], raw_o, cal_o, reg_o, gates),
                "oos_regimes": _per_regime(y[o], raw_o, cal_o, reg_o, gates),
            }
        )
        pred_parts.append((fold.index, o, reg_o, raw_o, cal_o))
    last_fold, last_model, last_cals, last_thr = folds[-1], model, cals, thresholds
    fold_ids = np.concatenate([np.full(p[1].size, p[0]) for p in pred_parts])
    idx = np.concatenate([p[1] for p in pred_parts])
    reg = np.concatenate([p[2] for p in pred_parts])
    raw = np.concatenate([p[3] for p in pred_parts])
    cal = np.concatenate([p[4] for p in pred_parts])
    yo = y[idx]
    csv_name = "oos_predictions.csv" if spec.name == config.primary else f"oos_predictions_{spec.name}.csv"
    _write_predictions(out / csv_name, rows, names, idx, fold_ids, reg, raw, cal)
    title = f"{spec.name} walk-forward OOS ({lineage.source})"
    reliability_png(out / f"reliability_{spec.name}.png", title, yo, raw, cal, reg)
    lift_png(out / f"lift_{spec.name}.png", title, yo, cal, reg)
    oos_days = np.unique(rows.ts[idx] // _DAY_NS).size
    report = {
        "label": spec.describe(),
        "label_kind": spec.kind,
        "horizon_bars": spec.horizon,
        "oos": summarize(yo, raw, cal, reg, gates) | {"ece_raw_check": ece(yo, raw)},
        "folds": [{"fold": f["fold"], **f["oos"]} for f in fold_reports],
        "regimes": _per_regime(yo, raw, cal, reg, gates),
        "fold_details": fold_reports,
        "observation_days": int(oos_days),
        "predictions_file": csv_name,
    }
    report["oos"].pop("ece_raw_check")
    yv = np.concatenate(compare["yv"])
    report["validation"] = _auc_brier(yv, np.concatenate(compare["cand_v"]))
    report["baseline"] = {
        "kind": baseline_kind,
        "validation": _auc_brier(yv, np.concatenate(compare["base_v"])),
        "oos": _auc_brier(yo, np.concatenate(compare["base_o"])),
    }
    if config.kfold_splits >= 2:
        step(f"{spec.name}: purged {config.kfold_splits}-fold cross-validation")
        report["purged_kfold"] = _purged_cv(
            rows, x32, y, hyper, config.kfold_splits, spec.horizon * interval_ns
        )
    step(f"{spec.name}: exporting the last fold's calibrated model to ONNX")
    onnx_name = export_calibrated(
        spec,
        rows,
        x32,
        last_fold,
        last_model,
        last_cals,
        last_thr,
        report,
        lineage,
        out,
        seed,
        config,
        params,
        hyper,
    )
    return report, onnx_name


def _purged_cv(
    rows: LabelledRows, x32: np.ndarray, y: np.ndarray, hyper: dict[str, Any], n_splits: int, embargo_ns: int
) -> dict[str, Any]:
    """Purged K-fold (embargo = label horizon) AUC / Brier of the raw model: a second, non-forward view."""
    folds = []
    for k, (train, test) in enumerate(purged_kfold(rows.ts, rows.label_end_ts, n_splits, embargo_ns)):
        if np.unique(y[train]).size < 2:
            raise DatasetError(f"purged fold {k}: training labels hold a single class")
        model = lgb.LGBMClassifier(**hyper).fit(x32[train], y[train])
        folds.append(
            {"fold": k, "n_train": int(train.size)}
            | _auc_brier(y[test], model.predict_proba(x32[test])[:, 1])
        )
    aucs = [f["auc"] for f in folds if f["auc"] is not None]
    return {
        "n_splits": n_splits,
        "embargo_ns": embargo_ns,
        "folds": folds,
        "mean_auc": float(np.mean(aucs)) if aucs else None,
        "mean_brier": float(np.mean([f["brier"] for f in folds])),
    }


def _auc_brier(labels: np.ndarray, prob: np.ndarray) -> dict[str, Any]:
    m = binary_metrics(labels, prob)
    return {"auc": m["auc"], "brier": m["brier"], "n": m["n"]}


def _baseline(baseline_dir: str, name: str, params: FeatureParams) -> tuple[Any, str]:
    """The frozen baseline model of the same name, or None (no-skill: the search base rate)."""
    from aureus.paths import resolve_repo_path
    from engine.models.runtime import FeatureSchema, load_optional

    if not baseline_dir:
        return None, "no_skill_base_rate"
    directory = resolve_repo_path(baseline_dir)
    model = load_optional(
        directory, name, schema=FeatureSchema.from_params(params), providers=["CPUExecutionProvider"]
    )
    if model is None:
        return None, "no_skill_base_rate"
    return model, f"frozen:{baseline_dir}/{name}@{model.manifest.version}"


def _short(p: dict[str, Any]) -> dict[str, Any]:
    return {"knots": len(p["x"])} if "x" in p else p


def _write_predictions(
    path: Path,
    rows: LabelledRows,
    names: list[str],
    idx: np.ndarray,
    fold_ids: np.ndarray,
    reg: np.ndarray,
    raw: np.ndarray,
    cal: np.ndarray,
) -> None:
    with path.open("w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(PREDICTION_COLUMNS)
        for i, k, r, pr, pc in zip(idx, fold_ids, reg, raw, cal, strict=True):
            writer.writerow(
                (
                    iso_from_ns(int(rows.ts[i])),
                    names[int(rows.instrument[i])],
                    int(k),
                    REGIMES[int(r)],
                    int(rows.labels[i]),
                    repr(float(pr)),
                    repr(float(pc)),
                )
            )


def parse_walkforward_overrides(items: list[str]) -> tuple[WalkForwardConfig, FeatureParams]:
    """Apply ``key=value`` overrides to ``WalkForwardConfig`` (``features.*`` to ``FeatureParams``).

    Raises
    ------
    ConfigError
        A malformed item, an unknown key or a value out of range; the message names the key.
    """
    from engine.errors import ConfigError

    config, params = parse_settings(items, WalkForwardConfig, "walk-forward")
    if config.mode not in ("expanding", "rolling"):
        raise ConfigError(f"mode must be 'expanding' or 'rolling', got {config.mode!r}")
    return config, params
