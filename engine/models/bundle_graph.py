"""Several verified ONNX models as one graph, so a bundle scores a row with one onnxruntime call.

Each model is renamed with ``onnx.compose.add_prefix`` (``"<name>/"`` on nodes, edges, initializers
and outputs), the graphs are joined with ``onnx.compose.merge_models`` and the prefixed copies of the
shared input are rewired to a single input. Every model's subgraph is unchanged otherwise, so its
scores are the ones its own session gives. Optionally each plain tree model is first rewritten as
tensor operations (:func:`engine.models.tree_tensor.convert_tree_ensemble`) for the CUDA provider.
"""

from __future__ import annotations

from collections.abc import Sequence

import onnx
from onnx import compose

from engine.models.errors import ModelManifestError
from engine.models.tree_tensor import TreeTensorError, convert_tree_ensemble


def output_name(model: str, output: str) -> str:
    """The merged graph's name for output ``output`` of model ``model``."""
    return f"{model}/{output}"


def _prepared(name: str, model_bytes: bytes, keep: str, *, to_tensor: bool) -> onnx.ModelProto:
    proto = onnx.load_from_string(model_bytes)
    if to_tensor:
        try:
            converted = convert_tree_ensemble(proto)
        except TreeTensorError:
            converted = None
        # A graph with more than the tree (calibration nodes after it, say) is kept as it is.
        if converted is not None and keep in {o.name for o in converted.graph.output}:
            proto = converted
    for k, node in enumerate(proto.graph.node):
        if not node.name:
            # profiling reports nodes by name; an unnamed one could not be attributed to its model
            node.name = f"{node.op_type}_{k}"
    # per-file metadata (lineage ids...) differs between models and stays in their manifests
    del proto.metadata_props[:]
    kept = [o for o in proto.graph.output if o.name == keep]
    del proto.graph.output[:]
    proto.graph.output.extend(kept)
    return compose.add_prefix(proto, f"{name}/")


def merge_bundle(
    models: Sequence[tuple[str, bytes, str, str]], *, input_name: str = "features", to_tensor: bool = False
) -> onnx.ModelProto:
    """Merge models into one graph with the single input ``input_name``.

    Parameters
    ----------
    models : sequence of (name, onnx bytes, model input name, output to keep)
        The verified model files in bundle order.
    input_name : str
        Name of the merged graph's input.
    to_tensor : bool
        Rewrite plain ``TreeEnsembleClassifier`` models as tensor operations (for CUDA).

    Returns
    -------
    onnx.ModelProto
        Outputs ``"<name>/<output>"`` (see :func:`output_name`) in bundle order.

    Raises
    ------
    ModelManifestError
        The graphs cannot be merged (different opsets or IR versions, for instance).
    """
    protos = [_prepared(n, b, keep, to_tensor=to_tensor) for n, b, _, keep in models]
    try:
        merged = protos[0]
        for proto in protos[1:]:
            merged = compose.merge_models(merged, proto, io_map=[])
    except Exception as e:  # onnx.compose raises ValueError for opset/IR/name clashes
        raise ModelManifestError(
            f"models {[m[0] for m in models]} cannot be merged into one graph: {e}"
        ) from e
    graph = merged.graph
    prefixed = {f"{n}/{inp}" for n, _, inp, _ in models}
    for node in graph.node:
        for i, name in enumerate(node.input):
            if name in prefixed:
                node.input[i] = input_name
    first = next(i for i in graph.input if i.name in prefixed)
    shared = onnx.ValueInfoProto()
    shared.CopyFrom(first)
    shared.name = input_name
    others = [i for i in graph.input if i.name not in prefixed]
    del graph.input[:]
    graph.input.extend([shared, *others])
    onnx.checker.check_model(merged)
    return merged
