"""ONNX model runtime: verified, schema-checked inference sessions built once.

``ModelBundle.load`` reads each model's manifest, checks the ONNX file's sha256 and the manifest's
feature schema against the live one (refusing to load on any mismatch), then merges the verified graphs
into one onnxruntime session (``engine.models.bundle_graph``), so a bar's scores take one ``run`` call.
``predict_row`` scores one feature row through a preallocated float32 buffer bound once with IOBinding
(measured faster than ``InferenceSession.run`` for a single row on CPU); ``predict_batch`` scores a
matrix (several instruments' rows) in one call. With CUDA requested and available, plain tree models
are rewritten as tensor operations, and the provider reported per model is the one that executed its
nodes in a one-row profiled run at load. On the CPU (``cpu_runtime="numba"``, the default), when every
model's graph is a tree the numba evaluator reproduces (``engine.models.tree_program``), possibly
followed by a calibration tail, the bundle scores the trees with it instead (``engine.models.tree_numba``:
same float32 arithmetic, identical scores, no per-call onnxruntime overhead; tails in one onnxruntime
session, ``engine.models.numba_bundle``) and reports what executed each model (``numba``, or
``numba+CPUExecutionProvider`` with a tail).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import onnxruntime as ort

from engine.features.vector import FEATURE_NAMES, FEATURE_SCHEMA_VERSION, FeatureParams, feature_schema_id
from engine.models.bundle_graph import merge_bundle, output_name
from engine.models.errors import ModelManifestError
from engine.models.manifest import (
    ModelManifest,
    check_feature_schema,
    manifest_path,
    read_manifest,
    read_verified_onnx,
)
from engine.models.numba_bundle import NumbaBundle
from engine.models.tree_program import TreeProgramUnsupported
from engine.models.tree_tensor import executed_providers

_BUNDLE_INPUT = "features"
DEFAULT_MODEL_NAMES = ("p_short", "p_mid")
CUDA_PROVIDER = "CUDAExecutionProvider"
CPU_PROVIDER = "CPUExecutionProvider"
NUMBA_RUNTIME = "numba"
CPU_RUNTIMES = ("numba", "onnxruntime")


class FeatureSchema(msgspec.Struct, frozen=True, kw_only=True):
    """The live feature schema a model must match: version, names, schema id and parameters."""

    version: str
    names: tuple[str, ...]
    schema_id: str
    params: dict[str, Any]

    @classmethod
    def from_params(cls, params: FeatureParams) -> FeatureSchema:
        """Build the live schema of ``engine.features.vector`` for ``params``."""
        return cls(
            version=FEATURE_SCHEMA_VERSION,
            names=tuple(FEATURE_NAMES),
            schema_id=feature_schema_id(params),
            params=msgspec.to_builtins(params),
        )


def default_providers() -> list[str]:
    """Return ``[CUDAExecutionProvider, CPUExecutionProvider]`` when CUDA is available, else CPU only."""
    available = ort.get_available_providers()
    return [CUDA_PROVIDER, CPU_PROVIDER] if CUDA_PROVIDER in available else [CPU_PROVIDER]


def _session_options() -> ort.SessionOptions:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    return options


class ModelSession:
    """One verified ONNX model with its manifest and inference session.

    Attributes
    ----------
    manifest : ModelManifest
        The manifest the model was loaded against.
    provider : str
        The execution provider onnxruntime actually registered first for this session.
    n_inputs : int
        Width of the input row.
    """

    def __init__(self, manifest: ModelManifest, model_bytes: bytes, providers: Sequence[str]) -> None:
        self.manifest = manifest
        self.model_bytes = model_bytes
        self.requested_providers = tuple(providers)
        try:
            self.session = ort.InferenceSession(model_bytes, _session_options(), providers=list(providers))
        except Exception as e:  # onnxruntime raises its own Fail/InvalidGraph types
            raise ModelManifestError(
                f"model '{manifest.name}': onnxruntime cannot load {manifest.onnx_file}: {e}",
                field="onnx_file",
            ) from e
        self.provider = self.session.get_providers()[0]
        inputs = self.session.get_inputs()
        if len(inputs) != 1 or inputs[0].name != manifest.input_name:
            raise ModelManifestError(
                f"model '{manifest.name}': field 'input_name' is {manifest.input_name!r} but the ONNX "
                f"graph has inputs {[i.name for i in inputs]}",
                field="input_name",
            )
        width = inputs[0].shape[-1]
        self.n_inputs = len(manifest.feature_names)
        if isinstance(width, int) and width != self.n_inputs:
            raise ModelManifestError(
                f"model '{manifest.name}': field 'feature_names' has {self.n_inputs} names but the ONNX "
                f"input takes {width} columns",
                field="feature_names",
            )
        outputs = [o.name for o in self.session.get_outputs()]
        if manifest.output_name not in outputs:
            raise ModelManifestError(
                f"model '{manifest.name}': field 'output_name' {manifest.output_name!r} not among ONNX "
                f"outputs {outputs}",
                field="output_name",
            )
        self.input_name = manifest.input_name
        self.output_name = manifest.output_name
        self.output_index = manifest.output_index

    def bind(self, input_value: ort.OrtValue, n_outputs: int) -> tuple[ort.IOBinding, np.ndarray]:
        """Bind ``input_value`` and a preallocated ``(1, n_outputs)`` float32 output; return both."""
        out = np.zeros((1, n_outputs), dtype=np.float32)
        binding = self.session.io_binding()
        binding.bind_ortvalue_input(self.input_name, input_value)
        binding.bind_ortvalue_output(self.output_name, ort.OrtValue.ortvalue_from_numpy(out))
        return binding, out

    def predict(self, features: np.ndarray) -> np.ndarray:
        """Score a ``(N, F)`` matrix; return the ``(N,)`` float64 scores (column ``output_index``)."""
        x = np.ascontiguousarray(np.asarray(features), dtype=np.float32)
        if x.ndim != 2 or x.shape[1] != self.n_inputs:
            raise ValueError(f"expected a (N, {self.n_inputs}) matrix, got shape {x.shape}")
        if x.shape[0] == 0:
            return np.zeros(0, dtype=np.float64)
        out = self.session.run([self.output_name], {self.input_name: x})[0]
        return np.asarray(out, dtype=np.float64).reshape(x.shape[0], -1)[:, self.output_index]


def load_model(
    model_dir: str | Path, name: str, *, schema: FeatureSchema, providers: Sequence[str] | None = None
) -> ModelSession:
    """Load one model after verifying its manifest, ONNX sha256 and feature schema.

    Parameters
    ----------
    model_dir : str or Path
        Directory holding ``<name>.manifest.json`` and the ONNX file it names.
    name : str
        Model name (``p_short``...).
    schema : FeatureSchema
        The live feature schema.
    providers : sequence of str, optional
        onnxruntime providers in preference order; default ``default_providers()``.

    Raises
    ------
    ModelManifestError
        Missing or invalid manifest, sha256 mismatch, feature schema mismatch or an ONNX graph that
        disagrees with its manifest; the message names the field.
    """
    path = manifest_path(model_dir, name)
    manifest = read_manifest(path)
    if manifest.name != name:
        raise ModelManifestError(
            f"{path}: field 'name' is {manifest.name!r}, expected {name!r}", field="name", path=str(path)
        )
    try:
        check_feature_schema(
            manifest,
            feature_schema_version=schema.version,
            feature_names=schema.names,
            feature_schema_id=schema.schema_id,
            feature_params=schema.params,
        )
    except ModelManifestError as e:
        e.path = str(path)
        raise
    model_bytes = read_verified_onnx(manifest, model_dir)
    return ModelSession(manifest, model_bytes, providers or default_providers())


def load_optional(
    model_dir: str | Path,
    name: str,
    *,
    params: FeatureParams | None = None,
    schema: FeatureSchema | None = None,
    providers: Sequence[str] | None = None,
) -> ModelSession | None:
    """Load an optional model (e.g. ``ppo_size_hint``), or return None when it is absent.

    Absent means neither ``<name>.manifest.json`` nor ``<name>.onnx`` exists. When a manifest exists
    it is validated exactly like a required model's; an ONNX file without a manifest is refused.

    Raises
    ------
    ModelManifestError
        The model is present but invalid.
    """
    directory = Path(model_dir)
    mpath = manifest_path(directory, name)
    if not mpath.exists():
        orphan = directory / f"{name}.onnx"
        if orphan.exists():
            raise ModelManifestError(
                f"{orphan} has no manifest ({mpath.name}); refusing to load an unverified model",
                field="manifest",
                path=str(orphan),
            )
        return None
    if schema is None:
        schema = FeatureSchema.from_params(params if params is not None else FeatureParams())
    return load_model(directory, name, schema=schema, providers=providers)


class ModelBundle:
    """The baseline models scored together on the same feature row, in one merged session.

    Not thread-safe: ``predict_row`` writes into one shared input buffer.

    Attributes
    ----------
    names : tuple of str
        Model names in output order.
    models : dict of str to ModelSession
        Loaded models by name.
    providers : dict of str to str
        Per model, the provider(s) that executed its nodes in the profiled run at load ("+"-joined
        when they were split between providers).
    executed : dict of str to dict of str to str
        Per model, ``"<op_type>:<node>" -> provider`` from that run.
    tensor_graph : bool
        Whether tree models run as tensor operations (CUDA requested and available).
    runtime : str
        ``"numba"`` when the numba evaluator scores every model, else ``"onnxruntime"``.
    runtime_note : str
        Why onnxruntime scores on the CPU although numba was asked for ("" otherwise).
    """

    def __init__(
        self, models: dict[str, ModelSession], names: Sequence[str], *, cpu_runtime: str = NUMBA_RUNTIME
    ) -> None:
        if cpu_runtime not in CPU_RUNTIMES:
            raise ValueError(f"cpu_runtime must be one of {CPU_RUNTIMES}, got {cpu_runtime!r}")
        self.names = tuple(names)
        self.models = models
        widths = {models[n].n_inputs for n in self.names}
        if len(widths) != 1:
            raise ModelManifestError(f"models {self.names} take different input widths {sorted(widths)}")
        self.n_features = widths.pop()
        self._requested = models[self.names[0]].requested_providers
        use_cuda = CUDA_PROVIDER in self._requested and CUDA_PROVIDER in ort.get_available_providers()
        self._outputs = [output_name(n, models[n].output_name) for n in self.names]
        self._indices = [models[n].output_index for n in self.names]
        self._scores = np.zeros(len(self.names), dtype=np.float64)
        self.evaluator: NumbaBundle | None = None
        self.runtime, self.runtime_note = "onnxruntime", ""
        if cpu_runtime == NUMBA_RUNTIME and use_cuda:
            self.runtime_note = "CUDA requested: tree models run as tensor operations in onnxruntime"
        elif cpu_runtime == NUMBA_RUNTIME:
            try:
                self.evaluator = _numba_evaluator(models, self.names, self.n_features)
            except TreeProgramUnsupported as e:
                self.runtime_note = str(e)
        self._session: ort.InferenceSession | None = None
        if self.evaluator is None:
            self._open_session(report=True)
        else:  # the merged onnxruntime session is built only if something asks for it
            self.runtime = NUMBA_RUNTIME
            self.tensor_graph = False
            method = f"{NUMBA_RUNTIME}:{self.evaluator.method}"
            self.executed = {n: {f"TreeEnsembleClassifier:{n}": method} for n in self.names}
            self.providers = {n: NUMBA_RUNTIME for n in self.names}
            for n in self.evaluator.tail_models:  # what follows the tree runs in onnxruntime on the CPU
                self.executed[n][f"tail:{n}"] = CPU_PROVIDER
                self.providers[n] = f"{NUMBA_RUNTIME}+{CPU_PROVIDER}"

    @property
    def session(self) -> ort.InferenceSession:
        """The merged onnxruntime session (built on first use when numba scores)."""
        if self._session is None:
            self._open_session(report=False)
        return self._session

    def _open_session(self, *, report: bool) -> None:
        models = self.models
        self._session, merged_bytes, self.tensor_graph = _merged_session(models, self.names, self._requested)
        if report:
            self.executed = _executed_by_model(
                merged_bytes, self._requested, self.names, np.zeros((1, self.n_features), dtype=np.float32)
            )
            self.providers = {n: "+".join(sorted(set(self.executed[n].values()))) for n in self.names}
        self._row = np.zeros((1, self.n_features), dtype=np.float32)
        self._binding = self._session.io_binding()
        self._binding.bind_ortvalue_input(_BUNDLE_INPUT, ort.OrtValue.ortvalue_from_numpy(self._row))
        self._bound = []
        for n, out_name in zip(self.names, self._outputs, strict=True):
            model = models[n]
            out = np.zeros((1, _output_width(model, model.session.get_outputs())), dtype=np.float32)
            self._binding.bind_ortvalue_output(out_name, ort.OrtValue.ortvalue_from_numpy(out))
            self._bound.append((out, model.output_index))

    @classmethod
    def load(
        cls,
        model_dir: str | Path,
        *,
        params: FeatureParams,
        names: Sequence[str] = DEFAULT_MODEL_NAMES,
        providers: Sequence[str] | None = None,
        cpu_runtime: str = NUMBA_RUNTIME,
    ) -> ModelBundle:
        """Load and verify the models ``names`` from ``model_dir`` against the live feature schema.

        Parameters
        ----------
        model_dir : str or Path
            Directory with ``<name>.manifest.json`` and ONNX files.
        params : FeatureParams
            Live feature parameters; the schema id derived from them must match each manifest.
        names : sequence of str
            Models to load, in the order ``predict_row`` returns their scores.
        providers : sequence of str, optional
            onnxruntime providers; default CUDA first when available, else CPU.
        cpu_runtime : {"numba", "onnxruntime"}
            What scores on the CPU (``[models] cpu_runtime``); numba only when every model converts.

        Raises
        ------
        ModelManifestError
            Any model fails verification (see ``load_model``).
        """
        return cls.load_with_schema(
            model_dir,
            schema=FeatureSchema.from_params(params),
            names=names,
            providers=providers,
            cpu_runtime=cpu_runtime,
        )

    @classmethod
    def load_with_schema(
        cls,
        model_dir: str | Path,
        *,
        schema: FeatureSchema,
        names: Sequence[str] = DEFAULT_MODEL_NAMES,
        providers: Sequence[str] | None = None,
        cpu_runtime: str = NUMBA_RUNTIME,
    ) -> ModelBundle:
        """Like ``load`` with an explicit live ``FeatureSchema``."""
        chosen = list(providers) if providers else default_providers()
        models = {n: load_model(model_dir, n, schema=schema, providers=chosen) for n in names}
        return cls(models, names, cpu_runtime=cpu_runtime)

    def manifest(self, name: str) -> ModelManifest:
        """Return the manifest of model ``name``."""
        return self.models[name].manifest

    def predict_row(self, row: np.ndarray) -> tuple[float, ...]:
        """Score one feature row with every model.

        Parameters
        ----------
        row : np.ndarray
            ``(F,)`` float64 feature row (cast to float32 into a preallocated buffer).

        Returns
        -------
        tuple of float
            One score per model in ``names`` order: ``(p_short, p_mid)`` for the default bundle.
        """
        if self.evaluator is not None:
            self.evaluator.predict_row_into(row, self._scores)
            return tuple(self._scores.tolist())
        self._row[0] = row
        self.session.run_with_iobinding(self._binding)
        return tuple([float(out[0, index]) for out, index in self._bound])

    def predict_row_into(self, row: np.ndarray, out: np.ndarray) -> None:
        """Score one ``(F,)`` float64 row into ``out`` (``(len(names),)`` float64).

        With the numba runtime nothing is allocated (the hot path of a HOLD decision)."""
        if self.evaluator is not None:
            self.evaluator.predict_row_into(row, out)
            return
        self._row[0] = row
        self.session.run_with_iobinding(self._binding)
        for j, (bound, index) in enumerate(self._bound):
            out[j] = bound[0, index]

    def predict_row_onnxruntime(self, row: np.ndarray) -> tuple[float, ...]:
        """Score one row with the merged onnxruntime session whatever the runtime (checks, benchmarks)."""
        if self._session is None:
            self._open_session(report=False)
        self._row[0] = row
        self.session.run_with_iobinding(self._binding)
        return tuple([float(out[0, index]) for out, index in self._bound])

    def predict_row_run(self, row: np.ndarray) -> tuple[float, ...]:
        """Score one row with ``InferenceSession.run`` (reference path for benchmarks and checks)."""
        if self._session is None:
            self._open_session(report=False)
        self._row[0] = row
        scores = []
        for n in self.names:
            model = self.models[n]
            out = model.session.run([model.output_name], {model.input_name: self._row})[0]
            scores.append(float(out[0, model.output_index]))
        return tuple(scores)

    def predict_batch(self, features: np.ndarray, *, threads: int = 1) -> np.ndarray:
        """Score a ``(N, F)`` matrix; return ``(N, len(names))`` float64 scores.

        Either runtime rounds the features to float32 first (the models' input type). ``threads``: how
        many threads numba's batch layout may use (the same scores on any number; onnxruntime ignores it)."""
        if self.evaluator is not None:
            x = np.ascontiguousarray(np.asarray(features), dtype=np.float64)
        else:
            x = np.ascontiguousarray(np.asarray(features), dtype=np.float32)
        if x.ndim != 2 or x.shape[1] != self.n_features:
            raise ValueError(f"expected a (N, {self.n_features}) matrix, got shape {x.shape}")
        result = np.empty((x.shape[0], len(self.names)), dtype=np.float64)
        if x.shape[0] == 0:
            return result
        if self.evaluator is not None:
            return self.evaluator.predict_batch(x, threads)
        outs = self.session.run(self._outputs, {_BUNDLE_INPUT: x})
        for j, (out, index) in enumerate(zip(outs, self._indices, strict=True)):
            result[:, j] = np.asarray(out, dtype=np.float64).reshape(x.shape[0], -1)[:, index]
        return result


_EVALUATORS: dict[tuple, NumbaBundle] = {}  # compiled layouts by verified model content


def _numba_evaluator(models: dict[str, ModelSession], names: tuple[str, ...], n_features: int) -> NumbaBundle:
    """Every model through numba (tails after a tree in onnxruntime); TreeProgramUnsupported names the
    first model that does not convert.

    Layouts of tail-free bundles are built once per process for the same verified model bytes (a
    research loop reloads the same bundle many times); each bundle gets its own row buffers."""
    key = (
        n_features,
        *((models[n].manifest.onnx_sha256, models[n].output_name, models[n].output_index) for n in names),
    )
    cached = _EVALUATORS.get(key)
    if cached is not None:
        return cached.with_own_buffers()
    parts = [(n, models[n].model_bytes, models[n].output_name, models[n].output_index) for n in names]
    scorer = NumbaBundle(parts, n_features, _session_options())
    if not scorer.tail_models:
        if len(_EVALUATORS) >= 16:
            _EVALUATORS.pop(next(iter(_EVALUATORS)))
        _EVALUATORS[key] = scorer
        return scorer.with_own_buffers()
    return scorer


def _merged_session(
    models: dict[str, ModelSession], names: tuple[str, ...], providers: Sequence[str]
) -> tuple[ort.InferenceSession, bytes, bool]:
    """One session over every model's graph; tree models as tensor ops when CUDA is requested and present."""
    parts = [(n, models[n].model_bytes, models[n].input_name, models[n].output_name) for n in names]
    use_cuda = CUDA_PROVIDER in providers and CUDA_PROVIDER in ort.get_available_providers()
    merged = None
    if use_cuda:
        try:
            merged = merge_bundle(parts, input_name=_BUNDLE_INPUT, to_tensor=True)
        except ModelManifestError:
            merged = None  # a mix of converted and unconverted graphs: keep the tree operators
    tensor_graph = merged is not None
    if merged is None:
        merged = merge_bundle(parts, input_name=_BUNDLE_INPUT, to_tensor=False)
    data = merged.SerializeToString()
    try:
        session = ort.InferenceSession(data, _session_options(), providers=list(providers))
    except Exception as e:  # onnxruntime raises its own Fail/InvalidGraph types
        msg = f"models {list(names)}: onnxruntime cannot load the merged graph: {e}"
        raise ModelManifestError(msg) from e
    return session, data, tensor_graph


def _executed_by_model(
    data: bytes, providers: Sequence[str], names: tuple[str, ...], sample: np.ndarray
) -> dict[str, dict[str, str]]:
    """Per model, the provider that ran each of its nodes in one profiled run of the merged graph."""
    placed = executed_providers(data, providers, sample, input_name=_BUNDLE_INPUT)
    by_model: dict[str, dict[str, str]] = {n: {} for n in names}
    for key, provider in placed.items():
        node = key.split(":", 1)[1]
        for n in names:
            if node.startswith(f"{n}/"):
                by_model[n][key] = provider
    for n in names:
        if not by_model[n]:
            raise ModelManifestError(f"model '{n}': the profiled run placed none of its nodes")
    return by_model


def _output_width(session: ModelSession, outputs: list[Any]) -> int:
    for output in outputs:
        if output.name == session.output_name:
            width = output.shape[-1] if output.shape else 1
            if isinstance(width, int):
                return width
    # Dynamic width: run once on zeros to learn it.
    probe = np.zeros((1, session.n_inputs), dtype=np.float32)
    result = session.session.run([session.output_name], {session.input_name: probe})[0]
    return int(np.asarray(result).shape[-1])
