"""A bundle's models scored by the numba tree evaluator, with onnxruntime only for what follows a tree.

A model whose output is the tree's own (through ``Identity`` / ``Mul`` by 1.0) is scored by numba
alone. A model with operators after its tree — the calibration tail of the walk-forward sets
(``prob_cal``: clip, logit, Platt / isotonic pieces, ATR-regime blend) — is split at the tree's
probabilities: numba computes both probability columns, and the rest of the graph, cut out with
``onnx.utils.Extractor``, runs in onnxruntime (the tails of every such model merged into one session)
on exactly the float32 values the tree node would have handed it. So its scores are the full graph's,
bit for bit (checked in the tests on real rows), and the trees no longer pay onnxruntime's kernel.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import onnx
import onnxruntime as ort
from onnx.utils import Extractor

from engine.models.bundle_graph import merge_bundle, output_name
from engine.models.tree_numba import TreeBundleEvaluator
from engine.models.tree_program import TreeProgramUnsupported, compile_tree_model

TAIL_INPUT = "features"


def _chain_values(proto: onnx.ModelProto) -> list[str]:
    """The tree's probability output and the values it flows into through Identity / Mul nodes."""
    tree = [n for n in proto.graph.node if n.op_type == "TreeEnsembleClassifier" and n.domain == "ai.onnx.ml"]
    if len(tree) != 1 or len(tree[0].output) < 2:
        raise TreeProgramUnsupported(f"{len(tree)} TreeEnsembleClassifier nodes with a probability output")
    values = [tree[0].output[1]]
    consumers: dict[str, list[onnx.NodeProto]] = {}
    for node in proto.graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    while True:
        nxt = [n for n in consumers.get(values[-1], []) if n.op_type in ("Identity", "Mul")]
        if len(nxt) != 1:
            return values
        values.append(nxt[0].output[0])


def split_model(model_bytes: bytes, output: str, output_index: int):
    """``(programs, tail)`` for one model: the tree programs and the ONNX bytes of what follows the tree.

    Without a tail: one program (the manifest's column) and None. With one: two programs (probability
    columns 0 and 1 of the value ``tree_value``) and ``(tail_bytes, tree_value)``; the tail's inputs
    are ``tree_value`` and the graph's input, renamed ``TAIL_INPUT``.

    Raises
    ------
    TreeProgramUnsupported
        Neither the tree nor a tail cut from it is reproduced exactly.
    """
    try:
        return [compile_tree_model(model_bytes, output, output_index)], None
    except TreeProgramUnsupported as direct:
        proto = onnx.load_from_string(model_bytes)
        if len(proto.graph.input) != 1:
            raise direct
        feature_input = proto.graph.input[0].name
        for value in reversed(_chain_values(proto)):
            try:
                programs = [compile_tree_model(model_bytes, value, column) for column in (0, 1)]
                tail = Extractor(proto).extract_model([value, feature_input], [output])
            except (TreeProgramUnsupported, Exception):  # the extractor raises plain exceptions
                continue
            if any(n.op_type.startswith("TreeEnsemble") for n in tail.graph.node):
                continue  # the tail reads something of the tree besides these probabilities
            for node in tail.graph.node:
                node.input[:] = [TAIL_INPUT if i == feature_input else i for i in node.input]
            for inp in tail.graph.input:
                if inp.name == feature_input:
                    inp.name = TAIL_INPUT
            return programs, (tail.SerializeToString(), value)
        raise direct


class NumbaBundle:
    """Every model of a bundle through numba, plus one onnxruntime session for the models' tails.

    Parameters
    ----------
    parts : sequence of (name, onnx bytes, output name, output index)
        The verified models in bundle order.
    n_features : int
        Input width.
    session_options : onnxruntime.SessionOptions
        For the tails' session (one intra-op thread, as the bundle's own).
    """

    def __init__(
        self, parts: Sequence[tuple[str, bytes, str, int]], n_features: int, session_options
    ) -> None:
        programs = []
        self._slots: list[tuple[int, int]] = []  # per model: (program index, -1) or (column 0, column 1)
        tails = []
        for name, blob, output, index in parts:
            try:
                progs, tail = split_model(blob, output, index)
            except TreeProgramUnsupported as e:
                raise TreeProgramUnsupported(f"model '{name}': {e}") from e
            first = len(programs)
            programs.extend(progs)
            self._slots.append((first, -1) if tail is None else (first, first + 1))
            if tail is not None:
                tails.append((name, tail[0], tail[1], output, index, len(self._slots) - 1))
        self.trees = TreeBundleEvaluator(programs, n_features)
        self.method = self.trees.method
        self.n_models = len(parts)
        self.tail_models = tuple(t[0] for t in tails)
        self._tree_scores = np.zeros(len(programs))
        self._tails = tails
        self._session = None
        if tails:
            merged = merge_bundle(
                [(name, blob, TAIL_INPUT, output) for name, blob, _, output, _, _ in tails],
                input_name=TAIL_INPUT,
            )
            self._session = ort.InferenceSession(
                merged.SerializeToString(), session_options, providers=["CPUExecutionProvider"]
            )
            self._row = np.zeros((1, n_features), dtype=np.float32)
            self._probs = [np.zeros((1, 2), dtype=np.float32) for _ in tails]
            value_names = [output_name(t[0], t[2]) for t in tails]
            out_names = [output_name(t[0], t[3]) for t in tails]
            probe = self._session.run(
                out_names, {TAIL_INPUT: self._row, **dict(zip(value_names, self._probs, strict=True))}
            )
            self._outs = [np.zeros((1, np.asarray(r).shape[-1]), dtype=np.float32) for r in probe]
            self._binding = self._session.io_binding()
            for name, arr in ((TAIL_INPUT, self._row), *zip(value_names, self._probs, strict=True)):
                self._binding.bind_ortvalue_input(name, ort.OrtValue.ortvalue_from_numpy(arr))
            for name, arr in zip(out_names, self._outs, strict=True):
                self._binding.bind_ortvalue_output(name, ort.OrtValue.ortvalue_from_numpy(arr))

    def with_own_buffers(self) -> NumbaBundle:
        """A copy for another bundle sharing the tree layouts, with its own buffers (models without tails;
        a bundle with tails is built afresh, its session and bindings are its own)."""
        if self._session is not None:
            raise ValueError("a bundle with tails is not shared")
        twin = object.__new__(NumbaBundle)
        twin.__dict__.update(self.__dict__)
        twin.trees = self.trees.with_own_buffers()
        twin._tree_scores = np.zeros_like(self._tree_scores)
        return twin

    def predict_row_into(self, row: np.ndarray, out: np.ndarray) -> None:
        """Score one float64 row into ``out``; nothing allocated when no model has a tail."""
        scores = self._tree_scores
        self.trees.predict_row_into(row, scores)
        for j, (first, second) in enumerate(self._slots):
            if second < 0:
                out[j] = scores[first]
        if self._session is None:
            return
        self._row[0] = row
        for (_, _, _, _, _, j), probs in zip(self._tails, self._probs, strict=True):
            first, second = self._slots[j]
            probs[0, 0] = scores[first]
            probs[0, 1] = scores[second]
        self._session.run_with_iobinding(self._binding)
        for (_, _, _, _, index, j), res in zip(self._tails, self._outs, strict=True):
            out[j] = res[0, index]

    def predict_batch(self, features: np.ndarray, threads: int = 1) -> np.ndarray:
        """Score an ``(N, F)`` matrix; ``(N, n_models)`` float64 (trees on ``threads`` threads)."""
        scores = self.trees.predict_batch(features, threads)
        result = np.empty((scores.shape[0], self.n_models), dtype=np.float64)
        for j, (first, second) in enumerate(self._slots):
            if second < 0:
                result[:, j] = scores[:, first]
        if self._session is None or scores.shape[0] == 0:
            return result
        feeds = {TAIL_INPUT: np.ascontiguousarray(features, dtype=np.float32)}
        for name, _, value, _, _, j in self._tails:
            first, second = self._slots[j]
            feeds[output_name(name, value)] = scores[:, [first, second]].astype(np.float32)
        outs = self._session.run([output_name(t[0], t[3]) for t in self._tails], feeds)
        for (_, _, _, _, index, j), res in zip(self._tails, outs, strict=True):
            result[:, j] = np.asarray(res, dtype=np.float64).reshape(scores.shape[0], -1)[:, index]
        return result
