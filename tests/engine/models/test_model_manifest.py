"""Manifest encoding, mandatory fields, sha256 and feature schema checks (engine.models.manifest)."""

from __future__ import annotations

import json

import msgspec
import pytest

from engine.models.errors import ModelManifestError
from engine.models.manifest import (
    DataLineage,
    ModelManifest,
    SplitInfo,
    check_feature_schema,
    encode_manifest,
    iso_from_ns,
    read_manifest,
    read_verified_onnx,
    sha256_bytes,
    write_manifest,
)

ONNX_BYTES = b"not really onnx, the sha256 check does not parse it"
NAMES = ("a", "b", "c")


def _manifest(**changes) -> ModelManifest:
    manifest = ModelManifest(
        name="p_short",
        version="baseline-1",
        model_kind="lightgbm",
        task="binary_classification",
        label="close[t+5] > close[t]",
        horizon_bars=5,
        feature_schema_version="1",
        feature_schema_id="abc123",
        feature_names=NAMES,
        feature_params={"window": 10},
        input_name="features",
        output_name="probabilities",
        output_index=1,
        onnx_file="p_short.onnx",
        onnx_sha256=sha256_bytes(ONNX_BYTES),
        opset={"ai.onnx": 9, "ai.onnx.ml": 1},
        data=DataLineage(
            path="/data/rec",
            source="test",
            synthetic=True,
            content_hash="f" * 64,
            start=iso_from_ns(0),
            end=iso_from_ns(60_000_000_000),
            start_ns=0,
            end_ns=60_000_000_000,
            instruments=("X.T",),
            n_bars=2,
        ),
        split=SplitInfo(
            method="time_ordered_gap",
            train_fraction=0.7,
            train_end=iso_from_ns(0),
            valid_start=iso_from_ns(1),
            train_end_ns=0,
            valid_start_ns=1,
            gap_bars=5,
        ),
        metrics={"auc": 0.5, "n_train": 10},
        seed=7,
        hyperparameters={"num_leaves": 15},
        libraries={"lightgbm": "4.7.0"},
        lineage_id="0" * 16,
    )
    return msgspec.structs.replace(manifest, **changes)


def test_manifest_round_trips_and_encodes_deterministically(tmp_path):
    manifest = _manifest()
    path = tmp_path / "p_short.manifest.json"

    write_manifest(path, manifest)

    assert read_manifest(path) == manifest
    assert path.read_bytes() == encode_manifest(_manifest())
    assert list(json.loads(path.read_bytes()))[:3] == ["manifest_version", "name", "version"]


def test_iso_from_ns_is_utc():
    assert iso_from_ns(1_677_628_800_000_000_000) == "2023-03-01T00:00:00+00:00"


@pytest.mark.parametrize("field", ["onnx_sha256", "feature_schema_id", "data", "seed"])
def test_missing_mandatory_field_is_refused_and_named(tmp_path, field):
    body = json.loads(encode_manifest(_manifest()))
    del body[field]
    path = tmp_path / "m.manifest.json"
    path.write_text(json.dumps(body))

    with pytest.raises(ModelManifestError, match=field) as info:
        read_manifest(path)
    assert info.value.field == field


def test_unknown_field_and_bad_json_are_refused(tmp_path):
    body = json.loads(encode_manifest(_manifest()))
    body["surprise"] = 1
    path = tmp_path / "m.manifest.json"
    path.write_text(json.dumps(body))
    with pytest.raises(ModelManifestError, match="surprise"):
        read_manifest(path)

    path.write_text("{not json")
    with pytest.raises(ModelManifestError, match="not valid JSON"):
        read_manifest(path)


def test_missing_manifest_file_is_refused(tmp_path):
    with pytest.raises(ModelManifestError, match="not found"):
        read_manifest(tmp_path / "absent.manifest.json")


def test_onnx_sha256_mismatch_is_refused(tmp_path):
    (tmp_path / "p_short.onnx").write_bytes(ONNX_BYTES + b"tampered")

    with pytest.raises(ModelManifestError, match="onnx_sha256") as info:
        read_verified_onnx(_manifest(), tmp_path)
    assert info.value.field == "onnx_sha256"


def test_verified_onnx_bytes_are_returned(tmp_path):
    (tmp_path / "p_short.onnx").write_bytes(ONNX_BYTES)

    assert read_verified_onnx(_manifest(), tmp_path) == ONNX_BYTES


def test_missing_onnx_file_is_refused(tmp_path):
    with pytest.raises(ModelManifestError, match="onnx_file"):
        read_verified_onnx(_manifest(), tmp_path)


@pytest.mark.parametrize(
    ("live", "field", "detail"),
    [
        ({"feature_schema_version": "2"}, "feature_schema_version", "'1'"),
        ({"feature_names": ("a", "b", "d")}, "feature_names", "missing ['d'], unexpected ['c']"),
        ({"feature_names": ("b", "a", "c")}, "feature_names", "different order"),
        ({"feature_schema_id": "other"}, "feature_schema_id", "window: manifest 10 live 20"),
    ],
)
def test_feature_schema_mismatch_is_refused_naming_the_field(live, field, detail):
    kwargs = {
        "feature_schema_version": "1",
        "feature_names": NAMES,
        "feature_schema_id": "abc123",
        "feature_params": {"window": 20},
        **live,
    }

    with pytest.raises(ModelManifestError, match="refusing to load") as info:
        check_feature_schema(_manifest(), **kwargs)

    assert info.value.field == field
    assert f"field '{field}' mismatch" in str(info.value)
    assert detail in str(info.value)


def test_matching_feature_schema_passes():
    check_feature_schema(
        _manifest(), feature_schema_version="1", feature_names=NAMES, feature_schema_id="abc123"
    )
