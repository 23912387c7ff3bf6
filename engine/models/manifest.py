"""Model artifact manifests: the mandatory metadata written next to every ONNX model.

A manifest ties an ONNX file (by sha256) to the feature schema it was trained on, the data it was
trained on (lineage), the time split, validation metrics, seed and library versions. It carries no
wall-clock time, so retraining the same data with the same seed and code writes the same bytes.

Fields required by the offline/online alignment contract map as follows:
``feature_payload_schema_version`` -> ``feature_schema_version``, ``feature_version`` ->
``feature_schema_id``, ``data_version`` -> ``data.content_hash``, ``model_name``/``model_version`` ->
``name``/``version``, ``lineage_id`` -> ``lineage_id``.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec

from engine.models.errors import ModelManifestError

MANIFEST_VERSION = 1
MANIFEST_SUFFIX = ".manifest.json"

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class DataLineage(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Where the training data came from: recording path, source, content hash and time range."""

    path: str
    source: str
    synthetic: bool
    content_hash: str
    start: str
    end: str
    start_ns: int
    end_ns: int
    instruments: tuple[str, ...]
    n_bars: int


class SplitInfo(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The time-ordered train/validation split; no training label ends at or after ``valid_start``."""

    method: str
    train_fraction: float
    train_end: str
    valid_start: str
    train_end_ns: int
    valid_start_ns: int
    gap_bars: int


class ModelManifest(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Everything needed to decide whether an ONNX model may be loaded, and to reproduce it.

    ``output_name`` is the ONNX output read at inference and ``output_index`` its column holding the
    score (for a binary classifier, the probability of the positive class).
    """

    manifest_version: int = MANIFEST_VERSION
    name: str
    version: str
    model_kind: str
    task: str
    label: str
    horizon_bars: int
    feature_schema_version: str
    feature_schema_id: str
    feature_names: tuple[str, ...]
    feature_params: dict[str, Any]
    input_name: str
    output_name: str
    output_index: int
    onnx_file: str
    onnx_sha256: str
    opset: dict[str, int]
    data: DataLineage
    split: SplitInfo
    metrics: dict[str, float | int | None]
    seed: int
    hyperparameters: dict[str, Any]
    libraries: dict[str, str]
    lineage_id: str
    research: dict[str, Any] | None = None
    """Walk-forward models only: label, folds and their metrics, regime thresholds, calibrators."""


def iso_from_ns(ns: int) -> str:
    """Format integer nanoseconds since the epoch as an ISO-8601 UTC string (microsecond precision).

    Parameters
    ----------
    ns : int
        Nanoseconds since the Unix epoch, UTC.

    Returns
    -------
    str
        For example ``"2023-03-01T00:00:00+00:00"``.
    """
    return (_EPOCH + timedelta(microseconds=int(ns) // 1000)).isoformat()


def sha256_bytes(data: bytes) -> str:
    """Return the hex sha256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def compute_lineage_id(
    *,
    name: str,
    version: str,
    data_content_hash: str,
    feature_schema_id: str,
    hyperparameters: dict[str, Any],
    seed: int,
    split: SplitInfo,
) -> str:
    """Derive a stable lineage id from what determines a model: data, features, parameters, split, seed.

    Returns
    -------
    str
        The first 16 hex digits of a sha256 over the canonical JSON of the inputs.
    """
    payload = {
        "name": name,
        "version": version,
        "data": data_content_hash,
        "features": feature_schema_id,
        "hyperparameters": hyperparameters,
        "seed": seed,
        "split": msgspec.to_builtins(split),
    }
    return sha256_bytes(msgspec.json.encode(payload, order="deterministic"))[:16]


def manifest_path(model_dir: str | Path, name: str) -> Path:
    """Return ``<model_dir>/<name>.manifest.json``."""
    return Path(model_dir) / f"{name}{MANIFEST_SUFFIX}"


def encode_manifest(manifest: ModelManifest) -> bytes:
    """Encode a manifest as indented JSON with sorted dictionary keys (deterministic bytes)."""
    return msgspec.json.format(msgspec.json.encode(manifest, order="deterministic"), indent=2) + b"\n"


def write_manifest(path: str | Path, manifest: ModelManifest) -> None:
    """Write ``manifest`` to ``path`` atomically (temporary file, then rename)."""
    target = Path(path)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_bytes(encode_manifest(manifest))
    tmp.replace(target)


def read_manifest(path: str | Path) -> ModelManifest:
    """Read and validate a manifest file.

    Raises
    ------
    ModelManifestError
        When the file is missing, is not JSON, lacks a mandatory field, has an unknown field or a
        field of the wrong type; the message names the field.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError as e:
        raise ModelManifestError(f"model manifest not found: {path}", path=str(path)) from e
    try:
        manifest = msgspec.json.decode(raw, type=ModelManifest)
    except msgspec.ValidationError as e:
        field = _field_from_message(str(e))
        raise ModelManifestError(f"invalid model manifest {path}: {e}", field=field, path=str(path)) from e
    except msgspec.DecodeError as e:
        raise ModelManifestError(f"model manifest {path} is not valid JSON: {e}", path=str(path)) from e
    if manifest.manifest_version != MANIFEST_VERSION:
        raise ModelManifestError(
            f"model manifest {path}: field 'manifest_version' is {manifest.manifest_version}, "
            f"this runtime reads {MANIFEST_VERSION}",
            field="manifest_version",
            path=str(path),
        )
    return manifest


def read_verified_onnx(manifest: ModelManifest, model_dir: str | Path) -> bytes:
    """Read the manifest's ONNX file and check its sha256 against ``manifest.onnx_sha256``.

    Returns
    -------
    bytes
        The verified model bytes (build the session from these, not by re-reading the file).

    Raises
    ------
    ModelManifestError
        When the file is missing (``field="onnx_file"``) or its sha256 differs
        (``field="onnx_sha256"``).
    """
    onnx_path = Path(model_dir) / manifest.onnx_file
    try:
        data = onnx_path.read_bytes()
    except FileNotFoundError as e:
        raise ModelManifestError(
            f"model '{manifest.name}': field 'onnx_file' names {onnx_path}, which does not exist",
            field="onnx_file",
            path=str(onnx_path),
        ) from e
    digest = sha256_bytes(data)
    if digest != manifest.onnx_sha256:
        raise ModelManifestError(
            f"model '{manifest.name}': field 'onnx_sha256' mismatch for {onnx_path}: manifest says "
            f"{manifest.onnx_sha256}, file has {digest} (tampered or stale model file)",
            field="onnx_sha256",
            path=str(onnx_path),
        )
    return data


def check_feature_schema(
    manifest: ModelManifest,
    *,
    feature_schema_version: str,
    feature_names: tuple[str, ...],
    feature_schema_id: str,
    feature_params: dict[str, Any] | None = None,
) -> None:
    """Refuse a manifest whose feature schema differs from the live one.

    Parameters
    ----------
    manifest : ModelManifest
        The manifest to check.
    feature_schema_version, feature_names, feature_schema_id : str, tuple of str, str
        The live feature schema (``engine.features.vector``).
    feature_params : dict, optional
        The live feature parameters as builtins; when given, the differing keys are named in the
        message of a schema id mismatch.

    Raises
    ------
    ModelManifestError
        Naming the first mismatched field: ``feature_schema_version``, ``feature_names`` or
        ``feature_schema_id``.
    """
    who = f"model '{manifest.name}' ({manifest.version})"
    if manifest.feature_schema_version != feature_schema_version:
        raise ModelManifestError(
            f"{who}: field 'feature_schema_version' mismatch: manifest {manifest.feature_schema_version!r}, "
            f"live {feature_schema_version!r}; refusing to load",
            field="feature_schema_version",
        )
    if tuple(manifest.feature_names) != tuple(feature_names):
        missing = [n for n in feature_names if n not in manifest.feature_names]
        extra = [n for n in manifest.feature_names if n not in feature_names]
        detail = (
            f"missing {missing}, unexpected {extra}" if missing or extra else "same names, different order"
        )
        raise ModelManifestError(
            f"{who}: field 'feature_names' mismatch ({detail}): manifest {list(manifest.feature_names)}, "
            f"live {list(feature_names)}; refusing to load",
            field="feature_names",
        )
    if manifest.feature_schema_id != feature_schema_id:
        detail = ""
        if feature_params is not None:
            keys = sorted(set(feature_params) | set(manifest.feature_params))
            diff = [
                f"{k}: manifest {manifest.feature_params.get(k)!r} live {feature_params.get(k)!r}"
                for k in keys
                if manifest.feature_params.get(k) != feature_params.get(k)
            ]
            if diff:
                detail = " (feature_params differ: " + "; ".join(diff) + ")"
        raise ModelManifestError(
            f"{who}: field 'feature_schema_id' mismatch: manifest {manifest.feature_schema_id!r}, "
            f"live {feature_schema_id!r}{detail}; refusing to load",
            field="feature_schema_id",
        )


def _field_from_message(message: str) -> str | None:
    # msgspec messages end with "- at `$.field`" or name the field: "Object missing required field `x`".
    if "`$." in message:
        return message.rsplit("`$.", 1)[1].rstrip("`").split("[")[0].split(".")[0]
    if "field `" in message:
        return message.split("field `", 1)[1].split("`", 1)[0]
    return None
