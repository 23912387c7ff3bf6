"""Baseline model training: recording -> features -> labels -> LightGBM -> ONNX -> manifest.

Two binary classifiers are trained on a recorded stream of bars: ``p_short`` (will the close 5 bars
ahead be higher?) and ``p_mid`` (60 bars ahead). Features come from the same kernels the engine runs
live (``engine.features.vector``), computed per instrument. The split is time-ordered with a gap of
at least the label horizon. Training is deterministic (single thread, fixed seeds) and the manifest
holds no wall-clock time, so the same data, seed and code give byte-identical artifacts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import lightgbm as lgb
import msgspec
import numpy as np
from sklearn import metrics as skm

from adapters.recorded import TOPIC_BARS, Recording, open_recording
from aureus.train_onnx import (
    OUTPUT_NAME,
    check_onnx_matches,
    export_with_lineage,
    lightgbm_manifest,
    write_onnx,
)
from engine.errors import ConfigError
from engine.features.vector import (
    FeatureParams,
    compute_feature_matrix,
)
from engine.models.dataset import LabelledRows, label_instrument, stack_in_time_order, time_split
from engine.models.errors import DatasetError
from engine.models.manifest import (
    DataLineage,
    ModelManifest,
    SplitInfo,
    iso_from_ns,
    manifest_path,
    write_manifest,
)

MODEL_KIND = "lightgbm"
TASK = "binary_classification"

StepCallback = Callable[[str], None]


class TrainConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Settings of a baseline training run; every field can be overridden with ``--set key=value``."""

    version: str = "baseline-1"
    train_fraction: Annotated[float, msgspec.Meta(gt=0.0, lt=1.0)] = 0.7
    short_horizon: Annotated[int, msgspec.Meta(ge=1)] = 5
    mid_horizon: Annotated[int, msgspec.Meta(ge=1)] = 60
    n_estimators: Annotated[int, msgspec.Meta(ge=1)] = 200
    num_leaves: Annotated[int, msgspec.Meta(ge=2)] = 15
    learning_rate: Annotated[float, msgspec.Meta(gt=0.0)] = 0.03
    min_data_in_leaf: Annotated[int, msgspec.Meta(ge=1)] = 200
    feature_fraction: Annotated[float, msgspec.Meta(gt=0.0, le=1.0)] = 0.8
    bagging_fraction: Annotated[float, msgspec.Meta(gt=0.0, le=1.0)] = 0.8
    bagging_freq: Annotated[int, msgspec.Meta(ge=0)] = 1
    lambda_l2: Annotated[float, msgspec.Meta(ge=0.0)] = 0.0
    target_opset: Annotated[int, msgspec.Meta(ge=9, le=15)] = 15
    tolerance: Annotated[float, msgspec.Meta(gt=0.0)] = 1e-5


@dataclass(frozen=True)
class InstrumentBars:
    """One instrument's bars as arrays, in time order (``ts`` is the bar close time, ns)."""

    instrument: str
    interval_s: int
    ts: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray


@dataclass(frozen=True)
class TrainedModel:
    """One trained and exported model: its manifest and the files written."""

    name: str
    manifest: ModelManifest
    onnx_path: Path
    manifest_path: Path


def parse_overrides(items: Sequence[str]) -> tuple[TrainConfig, FeatureParams]:
    """Apply ``key=value`` overrides to the default ``TrainConfig`` and ``FeatureParams``
    (:func:`parse_settings`)."""
    return parse_settings(items, TrainConfig, "training")


def parse_settings[C: msgspec.Struct](
    items: Sequence[str], config_type: type[C], what: str
) -> tuple[C, FeatureParams]:
    """Apply ``key=value`` overrides to a default ``config_type`` and ``FeatureParams``.

    Keys prefixed ``features.`` set ``FeatureParams`` fields; other keys set ``config_type`` fields.
    Values are read as JSON when they parse (``200``, ``0.05``, ``true``), else as strings.

    Raises
    ------
    ConfigError
        A malformed item, an unknown key or a value out of range; the message names the key and says
        ``what`` was being set.
    """
    settings: dict[str, Any] = {}
    feats: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ConfigError(f"--set expects key=value, got {item!r}")
        try:
            value: Any = msgspec.json.decode(raw)
        except msgspec.DecodeError:
            value = raw
        if key.startswith("features."):
            feats[key.removeprefix("features.")] = value
        else:
            settings[key] = value
    try:
        config = msgspec.convert(settings, config_type)
    except msgspec.ValidationError as e:
        raise ConfigError(f"invalid {what} setting: {e}") from e
    try:
        params = msgspec.convert({**msgspec.to_builtins(FeatureParams()), **feats}, FeatureParams)
    except msgspec.ValidationError as e:
        raise ConfigError(f"invalid feature setting (features.*): {e}") from e
    return config, params


def load_bars(recording: Recording) -> list[InstrumentBars]:
    """Group the recording's ``md.bars`` by instrument into arrays, sorted by instrument name.

    Raises
    ------
    DatasetError
        No bars, an instrument with mixed intervals, or timestamps not strictly increasing.
    """
    rows: dict[str, list[tuple[int, float, float, float, float, float]]] = {}
    intervals: dict[str, set[int]] = {}
    for record in recording.iter_topic(TOPIC_BARS):
        bar = record.payload
        rows.setdefault(bar.instrument, []).append(
            (bar.ts_event, bar.open, bar.high, bar.low, bar.close, bar.volume)
        )
        intervals.setdefault(bar.instrument, set()).add(bar.interval_s)
    if not rows:
        raise DatasetError(f"recording {recording.path} has no bars")
    out = []
    for instrument in sorted(rows):
        if len(intervals[instrument]) != 1:
            raise DatasetError(f"{instrument}: mixed bar intervals {sorted(intervals[instrument])}")
        data = np.array(rows[instrument], dtype=np.float64)
        ts = np.array([r[0] for r in rows[instrument]], dtype=np.int64)
        if np.any(np.diff(ts) <= 0):
            raise DatasetError(f"{instrument}: bar timestamps are not strictly increasing")
        out.append(
            InstrumentBars(
                instrument=instrument,
                interval_s=intervals[instrument].pop(),
                ts=ts,
                open=data[:, 1].copy(),
                high=data[:, 2].copy(),
                low=data[:, 3].copy(),
                close=data[:, 4].copy(),
                volume=data[:, 5].copy(),
            )
        )
    return out


def lightgbm_params(config: TrainConfig, seed: int) -> dict[str, Any]:
    """Return the deterministic LightGBM parameters for ``config`` and ``seed``."""
    return {
        "objective": "binary",
        "n_estimators": config.n_estimators,
        "num_leaves": config.num_leaves,
        "learning_rate": config.learning_rate,
        "min_data_in_leaf": config.min_data_in_leaf,
        "feature_fraction": config.feature_fraction,
        "bagging_fraction": config.bagging_fraction,
        "bagging_freq": config.bagging_freq,
        "lambda_l2": config.lambda_l2,
        "seed": seed,
        "bagging_seed": seed,
        "feature_fraction_seed": seed,
        "data_random_seed": seed,
        "deterministic": True,
        "force_row_wise": True,
        "num_threads": 1,
        "verbose": -1,
    }


def evaluate(labels: np.ndarray, proba: np.ndarray) -> dict[str, float | None]:
    """Validation metrics of positive-class probabilities: AUC, log loss, Brier, accuracy, base rate.

    AUC is None when the labels hold a single class.
    """
    labels = np.asarray(labels, dtype=np.int64)
    auc = float(skm.roc_auc_score(labels, proba)) if np.unique(labels).size == 2 else None
    return {
        "auc": auc,
        "log_loss": float(skm.log_loss(labels, proba, labels=[0, 1])),
        "brier": float(skm.brier_score_loss(labels, proba)),
        "accuracy": float(skm.accuracy_score(labels, (proba > 0.5).astype(np.int64))),
        "base_rate": float(labels.mean()),
    }


def train_baseline(
    data_dir: str | Path,
    out_dir: str | Path,
    *,
    seed: int = 7,
    config: TrainConfig | None = None,
    feature_params: FeatureParams | None = None,
    on_step: StepCallback | None = None,
) -> list[TrainedModel]:
    """Train, export, verify and write ``p_short`` and ``p_mid`` from a recording.

    Parameters
    ----------
    data_dir : str or Path
        A recording directory (``adapters.recorded``) with ``md.bars``.
    out_dir : str or Path
        Where ``p_short.onnx``, ``p_mid.onnx`` and their ``.manifest.json`` files are written.
    seed : int
        Seed of every random choice in LightGBM.
    config : TrainConfig, optional
        Training settings; defaults to ``TrainConfig()``.
    feature_params : FeatureParams, optional
        Feature parameters; defaults to ``FeatureParams()``.
    on_step : callable, optional
        Called with a short description before each step (progress display).

    Returns
    -------
    list of TrainedModel
        One per model, in ``(p_short, p_mid)`` order.

    Raises
    ------
    DatasetError
        Unusable data (no bars, too few rows, a single class).
    ModelExportError
        ONNX conversion failed or its probabilities differ from LightGBM beyond ``config.tolerance``.
    """
    config = config or TrainConfig()
    params = feature_params or FeatureParams()
    step = on_step or (lambda _msg: None)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)

    step("verifying recording")
    recording = open_recording(data_dir)
    recording.verify()
    step("loading bars")
    instruments = load_bars(recording)
    step(f"computing features for {len(instruments)} instruments")
    matrices = [compute_feature_matrix(b.open, b.high, b.low, b.close, b.volume, params) for b in instruments]
    lineage = _lineage(data_dir, recording, instruments)
    interval_ns = max(b.interval_s for b in instruments) * 1_000_000_000

    results = []
    for name, horizon in (("p_short", config.short_horizon), ("p_mid", config.mid_horizon)):
        step(f"{name}: labelling (horizon {horizon} bars) and splitting")
        parts = [
            label_instrument(m, b.close, b.ts, horizon, i)
            for i, (m, b) in enumerate(zip(matrices, instruments, strict=True))
        ]
        rows = stack_in_time_order(parts)
        results.append(_train_one(name, horizon, rows, interval_ns, lineage, out, seed, config, params, step))
    return results


def _train_one(
    name: str,
    horizon: int,
    rows: LabelledRows,
    interval_ns: int,
    lineage: DataLineage,
    out: Path,
    seed: int,
    config: TrainConfig,
    params: FeatureParams,
    step: StepCallback,
) -> TrainedModel:
    split = time_split(rows, train_fraction=config.train_fraction, gap_bars=horizon, interval_ns=interval_ns)
    x32 = rows.features.astype(np.float32)  # the runtime feeds float32: train on what it will see
    x_train, y_train = x32[split.train_index], rows.labels[split.train_index]
    x_valid, y_valid = x32[split.valid_index], rows.labels[split.valid_index]
    if np.unique(y_train).size < 2:
        raise DatasetError(f"{name}: training labels hold a single class")

    hyper = lightgbm_params(config, seed)
    step(f"{name}: training LightGBM on {len(y_train)} rows")
    model = lgb.LGBMClassifier(**hyper)
    model.fit(x_train, y_train)
    proba = model.predict_proba(x_valid)[:, 1]
    metrics: dict[str, float | int | None] = {**evaluate(y_valid, proba)}
    metrics.update(n_train=len(y_train), n_valid=len(y_valid), train_base_rate=float(y_train.mean()))

    split_info = SplitInfo(
        method="time_ordered_gap",
        train_fraction=config.train_fraction,
        train_end=iso_from_ns(split.train_end_ns),
        valid_start=iso_from_ns(split.valid_start_ns),
        train_end_ns=split.train_end_ns,
        valid_start_ns=split.valid_start_ns,
        gap_bars=split.gap_bars,
    )
    hyper_record = {**hyper, "train_fraction": config.train_fraction, "horizon_bars": horizon}
    step(f"{name}: exporting ONNX and checking it against LightGBM")
    proto, schema_id, lineage_id = export_with_lineage(
        model,
        x32.shape[1],
        name=name,
        version=config.version,
        params=params,
        data_content_hash=lineage.content_hash,
        hyperparameters=hyper_record,
        seed=seed,
        split=split_info,
        target_opset=config.target_opset,
    )
    onnx_bytes = proto.SerializeToString()
    metrics["onnx_max_abs_diff"] = check_onnx_matches(onnx_bytes, model, x_valid, config.tolerance)

    onnx_path = out / f"{name}.onnx"
    write_onnx(onnx_path, onnx_bytes)
    manifest = lightgbm_manifest(
        proto,
        onnx_bytes,
        params=params,
        schema_id=schema_id,
        name=name,
        version=config.version,
        model_kind=MODEL_KIND,
        task=TASK,
        label=f"close[t+{horizon}] > close[t]",
        horizon_bars=horizon,
        output_name=OUTPUT_NAME,
        output_index=1,
        onnx_file=onnx_path.name,
        data=lineage,
        split=split_info,
        metrics=metrics,
        seed=seed,
        hyperparameters=hyper_record,
        lineage_id=lineage_id,
    )
    mpath = manifest_path(out, name)
    write_manifest(mpath, manifest)
    return TrainedModel(name=name, manifest=manifest, onnx_path=onnx_path, manifest_path=mpath)


def _lineage(data_dir: str | Path, recording: Recording, instruments: list[InstrumentBars]) -> DataLineage:
    m = recording.manifest
    return DataLineage(
        path=str(data_dir),
        source=m.source,
        synthetic=m.synthetic,
        content_hash=m.content_hash,
        start=iso_from_ns(m.start_ns),
        end=iso_from_ns(m.end_ns),
        start_ns=m.start_ns,
        end_ns=m.end_ns,
        instruments=tuple(b.instrument for b in instruments),
        n_bars=int(sum(b.ts.shape[0] for b in instruments)),
    )
