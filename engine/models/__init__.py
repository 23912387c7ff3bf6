"""Model layer: artifact manifests, datasets for training, and the ONNX runtime.

The runtime names (``ModelBundle``, ``ModelSession``, ``FeatureSchema``, ``load_model``,
``load_optional``) are imported lazily so that importing the manifest or dataset helpers does not
load onnxruntime.
"""

from __future__ import annotations

from typing import Any

from engine.models.errors import DatasetError, ModelError, ModelExportError, ModelManifestError
from engine.models.manifest import (
    DataLineage,
    ModelManifest,
    SplitInfo,
    check_feature_schema,
    read_manifest,
    read_verified_onnx,
    write_manifest,
)

_RUNTIME = ("FeatureSchema", "ModelBundle", "ModelSession", "load_model", "load_optional")

__all__ = [
    "DataLineage",
    "DatasetError",
    "ModelError",
    "ModelExportError",
    "ModelManifest",
    "ModelManifestError",
    "SplitInfo",
    "check_feature_schema",
    "read_manifest",
    "read_verified_onnx",
    "write_manifest",
    *_RUNTIME,
]


def __getattr__(name: str) -> Any:
    if name in _RUNTIME:
        from engine.models import runtime

        return getattr(runtime, name)
    raise AttributeError(f"module 'engine.models' has no attribute {name!r}")
