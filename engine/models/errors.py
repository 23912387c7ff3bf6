"""Errors raised by the model layer (manifests, ONNX runtime, training)."""

from __future__ import annotations

from schemas.errors import AureusError


class ModelError(AureusError):
    """Root of every error the model layer raises on purpose."""


class ModelManifestError(ModelError):
    """A model artifact that must not be loaded.

    Raised when a manifest is missing or malformed, when the ONNX file's sha256 differs from the one
    recorded, or when the manifest's feature schema differs from the live one. ``field`` names the
    manifest field that failed (``None`` when the whole file is unreadable) and ``path`` the file.
    """

    def __init__(self, message: str, *, field: str | None = None, path: str | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.path = path


class ModelExportError(ModelError):
    """An exported ONNX model whose outputs disagree with the trained model, or an export that failed."""


class DatasetError(ModelError):
    """A dataset that cannot be built or split (too few rows, a single class, bad horizon)."""
