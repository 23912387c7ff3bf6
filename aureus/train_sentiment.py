"""``aureus train sentiment``: fit the headline sentiment model on Financial PhraseBank and export it to ONNX.

The data are the 4,846 ``sentence@label`` lines of ``Sentences_50Agree.txt`` (every sentence at least half
of the annotators agreed on). Exact duplicate sentences are dropped first so none can sit on both sides of
the split; the split is a fixed stratified 80/20 draw (``seed``). The model is a TF-IDF word 1-2-gram
multinomial logistic regression (scikit-learn); the ONNX graph (see :mod:`engine.news.sentiment`) is built
here from its fitted weights and checked against ``predict_proba`` on the whole held-out split.
"""

from __future__ import annotations

import hashlib
import platform
from collections.abc import Callable
from pathlib import Path

import msgspec
import numpy as np
import onnx
import onnxruntime as ort
import sklearn
from onnx import TensorProto, helper, numpy_helper
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split

from engine.news.errors import SentimentModelError
from engine.news.sentiment import (
    INPUT_COUNTS,
    INPUT_N,
    INPUT_ROWS,
    INPUT_TERMS,
    MANIFEST_NAME,
    OUTPUT_PROBABILITIES,
    SentimentManifest,
    SentimentModel,
    TokenizerSpec,
    prepare_text,
)

TOKEN_PATTERN = r"(?u)\b\w\w+\b|[%+\-]"
NGRAMS = (1, 2)
C = 30.0
TEST_FRACTION = 0.2
PARITY_TOLERANCE = 1e-5
OPSET = 18
LABELS = ("negative", "neutral", "positive")
PUBLISHED = {
    "source": "Araci 2019, FinBERT (arXiv:1908.10063), Financial PhraseBank all agreement levels",
    "finbert_accuracy": 0.86,
    "finbert_macro_f1_reported_as_f1": 0.84,
    "note": "published figures on their own 80/20 split, not re-run here",
}


def read_phrasebank(path: Path) -> tuple[list[str], list[str]]:
    """Sentences and labels of a PhraseBank file (UTF-8 with BOM; ``sentence@label`` per line)."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise SentimentModelError(f"cannot read Financial PhraseBank file {path}: {e}") from e
    sentences, labels, seen = [], [], set()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        sentence, sep, label = line.rpartition("@")
        label = label.strip()
        if not sep or label not in LABELS:
            raise SentimentModelError(f"{path}:{number}: expected 'sentence@label', got {line[:80]!r}")
        prepared = prepare_text(sentence)
        if prepared in seen:
            continue
        seen.add(prepared)
        sentences.append(prepared)
        labels.append(label)
    return sentences, labels


def build_graph(idf: np.ndarray, coef: np.ndarray, intercept: np.ndarray) -> onnx.ModelProto:
    """Sparse counts -> sublinear tf-idf -> L2 row normalisation -> softmax(x @ coef.T + intercept)."""
    n_classes = coef.shape[0]
    inits = [
        numpy_helper.from_array(idf.astype(np.float32), "idf"),
        numpy_helper.from_array(np.ascontiguousarray(coef.T, dtype=np.float32), "weights"),
        numpy_helper.from_array(intercept.astype(np.float32), "bias"),
        numpy_helper.from_array(np.array([n_classes], dtype=np.int64), "n_classes"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), "axis1"),
        numpy_helper.from_array(np.array(1.0, dtype=np.float32), "one"),
        numpy_helper.from_array(np.array(0.0, dtype=np.float32), "zero"),
    ]
    zero_fill = helper.make_tensor("z", TensorProto.FLOAT, [1], [0.0])
    nodes = [
        helper.make_node("Log", [INPUT_COUNTS], ["log_tf"]),
        helper.make_node("Add", ["log_tf", "one"], ["tf"]),
        helper.make_node("Gather", ["idf", INPUT_TERMS], ["idf_terms"]),
        helper.make_node("Mul", ["tf", "idf_terms"], ["w"]),
        helper.make_node("Mul", ["w", "w"], ["w2"]),
        helper.make_node("Unsqueeze", [INPUT_ROWS, "axis1"], ["rows_2d"]),
        helper.make_node("ConstantOfShape", [INPUT_N], ["zeros_n"], value=zero_fill),
        helper.make_node("ScatterND", ["zeros_n", "rows_2d", "w2"], ["norm2"], reduction="add"),
        helper.make_node("Sqrt", ["norm2"], ["norm"]),
        helper.make_node("Equal", ["norm", "zero"], ["empty"]),
        helper.make_node("Where", ["empty", "one", "norm"], ["safe_norm"]),
        helper.make_node("Gather", ["safe_norm", INPUT_ROWS], ["row_norm"]),
        helper.make_node("Div", ["w", "row_norm"], ["w_unit"]),
        helper.make_node("Gather", ["weights", INPUT_TERMS], ["term_weights"]),
        helper.make_node("Unsqueeze", ["w_unit", "axis1"], ["w_col"]),
        helper.make_node("Mul", ["term_weights", "w_col"], ["contrib"]),
        helper.make_node("Concat", [INPUT_N, "n_classes"], ["logit_shape"], axis=0),
        helper.make_node("ConstantOfShape", ["logit_shape"], ["zeros_logits"], value=zero_fill),
        helper.make_node(
            "ScatterND", ["zeros_logits", "rows_2d", "contrib"], ["raw_logits"], reduction="add"
        ),
        helper.make_node("Add", ["raw_logits", "bias"], ["logits"]),
        helper.make_node("Softmax", ["logits"], [OUTPUT_PROBABILITIES], axis=1),
    ]
    graph = helper.make_graph(
        nodes,
        "aureus_sentiment",
        [
            helper.make_tensor_value_info(INPUT_ROWS, TensorProto.INT64, ["nnz"]),
            helper.make_tensor_value_info(INPUT_TERMS, TensorProto.INT64, ["nnz"]),
            helper.make_tensor_value_info(INPUT_COUNTS, TensorProto.FLOAT, ["nnz"]),
            helper.make_tensor_value_info(INPUT_N, TensorProto.INT64, [1]),
        ],
        [helper.make_tensor_value_info(OUTPUT_PROBABILITIES, TensorProto.FLOAT, ["n", n_classes])],
        initializer=inits,
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="aureus.train"
    )
    model.ir_version = 9
    onnx.checker.check_model(model)
    return model


def train_sentiment(
    data: Path, out: Path, *, seed: int = 7, on_step: Callable[[str], None] | None = None
) -> SentimentManifest:
    """Train, export, check ONNX against scikit-learn, and write ``out/sentiment.*``.

    Returns
    -------
    SentimentManifest
        With accuracy and macro-F1 on the held-out split, measured through the exported ONNX model.

    Raises
    ------
    SentimentModelError
        Unreadable data, or ONNX probabilities that differ from scikit-learn's by more than 1e-5.
    """
    step = on_step or (lambda _m: None)
    step(f"reading {data}")
    sentences, labels = read_phrasebank(data)
    x_train, x_test, y_train, y_test = train_test_split(
        sentences, labels, test_size=TEST_FRACTION, random_state=seed, stratify=labels
    )
    step(f"fitting tf-idf + logistic regression on {len(x_train)} sentences")
    vectorizer = TfidfVectorizer(
        token_pattern=TOKEN_PATTERN, ngram_range=NGRAMS, lowercase=False, sublinear_tf=True
    )
    classifier = LogisticRegression(C=C, max_iter=5000)
    classifier.fit(vectorizer.fit_transform(x_train), y_train)
    if tuple(classifier.classes_) != LABELS:
        raise SentimentModelError(f"unexpected classes {classifier.classes_}")
    want = classifier.predict_proba(vectorizer.transform(x_test))

    step("exporting ONNX")
    out.mkdir(parents=True, exist_ok=True)
    vocabulary = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.__getitem__)
    vocab_bytes = msgspec.json.encode(vocabulary)
    onnx_bytes = build_graph(vectorizer.idf_, classifier.coef_, classifier.intercept_).SerializeToString()
    (out / "sentiment.onnx").write_bytes(onnx_bytes)
    (out / "sentiment.vocab.json").write_bytes(vocab_bytes)
    raw = data.read_bytes()
    manifest = SentimentManifest(
        name="sentiment",
        version="tfidf-lr-v1",
        model_kind="tfidf_word_1_2gram+multinomial_logistic_regression",
        labels=LABELS,
        tokenizer=TokenizerSpec(token_pattern=TOKEN_PATTERN, ngram_min=NGRAMS[0], ngram_max=NGRAMS[1]),
        onnx_file="sentiment.onnx",
        onnx_sha256=hashlib.sha256(onnx_bytes).hexdigest(),
        vocabulary_file="sentiment.vocab.json",
        vocabulary_sha256=hashlib.sha256(vocab_bytes).hexdigest(),
        data={
            "path": data.name,
            "sha256": hashlib.sha256(raw).hexdigest(),
            "n_unique_sentences": len(sentences),
        },
        split={
            "method": "stratified_random",
            "test_fraction": TEST_FRACTION,
            "seed": seed,
            "n_train": len(x_train),
            "n_test": len(x_test),
        },
        metrics={},
        published=PUBLISHED,
        seed=seed,
        hyperparameters={"C": C, "sublinear_tf": True, "vocabulary_size": len(vocabulary)},
        libraries={
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scikit-learn": sklearn.__version__,
            "onnx": onnx.__version__,
            "onnxruntime": ort.__version__,
        },
    )
    (out / MANIFEST_NAME).write_bytes(msgspec.json.format(msgspec.json.encode(manifest)))

    step("checking ONNX against scikit-learn on the held-out split")
    model = SentimentModel(out)
    got = model.probabilities(x_test)
    diff = float(np.abs(got - want).max())
    if not diff <= PARITY_TOLERANCE:
        raise SentimentModelError(f"ONNX probabilities differ from scikit-learn by {diff:.3g}")
    predicted = [LABELS[i] for i in got.argmax(axis=1)]
    metrics = {
        "accuracy": round(float(accuracy_score(y_test, predicted)), 4),
        "macro_f1": round(float(f1_score(y_test, predicted, average="macro")), 4),
        "onnx_max_abs_diff": diff,
        "n_test": len(x_test),
    }
    manifest = msgspec.structs.replace(manifest, metrics=metrics)
    (out / MANIFEST_NAME).write_bytes(msgspec.json.format(msgspec.json.encode(manifest)) + b"\n")
    return manifest
