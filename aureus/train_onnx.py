"""ONNX export of LightGBM classifiers: exact float32 thresholds, reproducible bytes, parity check.

ONNX tree ensembles store split thresholds as float32 while LightGBM keeps doubles; rounding a
threshold to the nearest float32 can move it past a feature value and flip a split (seen on the
shipped data: probabilities off by 2e-3). ``export_onnx`` therefore rounds thresholds *down* to
float32 first, which keeps every decision on float32 inputs, then converts with onnxmltools and
normalises the fields that would otherwise vary between runs.
"""

from __future__ import annotations

import platform
from pathlib import Path
from typing import Any

import lightgbm as lgb
import msgspec
import numpy as np
import onnx
import onnxmltools
import onnxruntime as ort
import sklearn
from onnxmltools.convert.common.data_types import FloatTensorType

from engine.features.vector import FEATURE_NAMES, FEATURE_SCHEMA_VERSION, FeatureParams, feature_schema_id
from engine.models.errors import ModelExportError
from engine.models.manifest import ModelManifest, SplitInfo, compute_lineage_id, sha256_bytes

INPUT_NAME = "features"
OUTPUT_NAME = "probabilities"


def export_onnx(
    model: lgb.LGBMClassifier,
    n_features: int,
    *,
    graph_name: str,
    producer_version: str,
    metadata: dict[str, str],
    target_opset: int,
) -> onnx.ModelProto:
    """Convert a fitted classifier to ONNX (``features`` float32 ``[None, F]`` -> ``probabilities``).

    Split thresholds are first rounded down to float32 (see ``float32_exact_booster``), since ONNX
    tree ensembles store them as float32. The result is normalised for reproducible bytes: fixed
    graph name (onnxmltools draws a random one), producer, empty doc string, opset imports and
    metadata sorted.
    """
    booster = float32_exact_booster(model.booster_)
    try:
        proto = onnxmltools.convert_lightgbm(
            booster,
            initial_types=[(INPUT_NAME, FloatTensorType([None, n_features]))],
            zipmap=False,
            target_opset=target_opset,
        )
    except Exception as e:
        raise ModelExportError(f"onnxmltools could not convert {graph_name}: {e}") from e
    proto.graph.name = graph_name
    proto.graph.doc_string = ""
    proto.doc_string = ""
    proto.producer_name = "aureus.train"
    proto.producer_version = producer_version
    proto.domain = "aureus"
    proto.model_version = 1
    opsets = sorted((o.domain, o.version) for o in proto.opset_import)
    del proto.opset_import[:]
    for domain, version in opsets:
        proto.opset_import.append(onnx.helper.make_opsetid(domain, version))
    del proto.metadata_props[:]
    onnx.helper.set_model_props(proto, dict(sorted(metadata.items())))
    onnx.checker.check_model(proto)
    return proto


def float32_exact_booster(booster: lgb.Booster) -> lgb.Booster:
    """Return a copy of ``booster`` whose split thresholds are exactly representable in float32.

    Each threshold ``t`` becomes the largest float32 ``t32 <= t``. For every float32 input ``x``,
    ``x <= t`` if and only if ``x <= t32``, so the copy makes the same decisions as the original on
    float32 features, while ONNX (which stores thresholds as float32, rounding to nearest) can no
    longer move a threshold across a feature value and flip a split.

    Raises
    ------
    ModelExportError
        When the model has categorical splits (their thresholds are category sets).
    """
    lines = booster.model_to_string().split("\n")
    for i, line in enumerate(lines):
        if line.startswith("num_cat=") and line != "num_cat=0":
            raise ModelExportError("categorical splits are not supported by the float32 threshold rounding")
        if line.startswith("threshold="):
            exact = np.array(line.removeprefix("threshold=").split(), dtype=np.float64)
            rounded = exact.astype(np.float32)
            above = rounded.astype(np.float64) > exact
            rounded[above] = np.nextafter(rounded[above], np.float32(-np.inf))
            lines[i] = "threshold=" + " ".join(repr(float(v)) for v in rounded)
    # tree_sizes gives each tree's byte length, which the edit changes; without it LightGBM parses serially.
    lines = [line for line in lines if not line.startswith("tree_sizes=")]
    return lgb.Booster(model_str="\n".join(lines))


def check_onnx_matches(
    onnx_bytes: bytes, model: lgb.LGBMClassifier, features32: np.ndarray, tolerance: float
) -> float:
    """Compare onnxruntime probabilities with ``predict_proba`` on the same float32 rows.

    Returns
    -------
    float
        The largest absolute difference.

    Raises
    ------
    ModelExportError
        When the difference exceeds ``tolerance`` or the output shape differs.
    """
    session = ort.InferenceSession(onnx_bytes, providers=["CPUExecutionProvider"])
    got = np.asarray(session.run([OUTPUT_NAME], {INPUT_NAME: features32})[0], dtype=np.float64)
    want = model.predict_proba(features32)
    if got.shape != want.shape:
        raise ModelExportError(f"ONNX output shape {got.shape} != LightGBM {want.shape}")
    diff = float(np.abs(got - want).max()) if got.size else 0.0
    if not diff <= tolerance:
        raise ModelExportError(f"ONNX probabilities differ from LightGBM by {diff:.3g} > {tolerance:g}")
    return diff


def library_versions() -> dict[str, str]:
    """Versions of the libraries that determine the trained bytes."""
    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "lightgbm": lgb.__version__,
        "scikit-learn": sklearn.__version__,
        "onnx": onnx.__version__,
        "onnxmltools": onnxmltools.__version__,
        "onnxruntime": ort.__version__,
    }


def export_with_lineage(
    model: lgb.LGBMClassifier,
    n_features: int,
    *,
    name: str,
    version: str,
    params: FeatureParams,
    data_content_hash: str,
    hyperparameters: dict[str, Any],
    seed: int,
    split: SplitInfo,
    target_opset: int,
) -> tuple[onnx.ModelProto, str, str]:
    """:func:`export_onnx` with the model's identity in the graph metadata.

    Returns ``(proto, feature_schema_id, lineage_id)``; the lineage id hashes name, version, data,
    feature schema, hyperparameters, seed and split (``engine.models.manifest.compute_lineage_id``).
    """
    schema_id = feature_schema_id(params)
    lineage_id = compute_lineage_id(
        name=name,
        version=version,
        data_content_hash=data_content_hash,
        feature_schema_id=schema_id,
        hyperparameters=hyperparameters,
        seed=seed,
        split=split,
    )
    proto = export_onnx(
        model,
        n_features,
        graph_name=f"aureus_{name}",
        producer_version=version,
        metadata={"name": name, "version": version, "feature_schema_id": schema_id, "lineage_id": lineage_id},
        target_opset=target_opset,
    )
    return proto, schema_id, lineage_id


def write_onnx(path: Path, data: bytes) -> None:
    """Write the ONNX bytes atomically (a reader never sees half a model)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def lightgbm_manifest(
    proto: onnx.ModelProto, onnx_bytes: bytes, /, *, params: FeatureParams, schema_id: str, **fields: Any
) -> ModelManifest:
    """The manifest of an exported LightGBM model: the feature schema, input, ONNX hash and opsets and
    library versions filled in; ``fields`` are the model's own (name, label, output, lineage, metrics...)."""
    return ModelManifest(
        feature_schema_version=FEATURE_SCHEMA_VERSION,
        feature_schema_id=schema_id,
        feature_names=tuple(FEATURE_NAMES),
        feature_params=msgspec.to_builtins(params),
        input_name=INPUT_NAME,
        onnx_sha256=sha256_bytes(onnx_bytes),
        opset={o.domain or "ai.onnx": int(o.version) for o in proto.opset_import},
        libraries=library_versions(),
        **fields,
    )
