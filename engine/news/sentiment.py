"""Headline sentiment from the shipped ONNX model: TF-IDF word n-grams and a multinomial logistic regression.

The graph takes sparse term counts (``rows``, ``terms``, ``counts``: one entry per non-zero) and applies the
sublinear tf, idf weighting, L2 normalisation and linear layer itself, so the model is one ONNX file plus its
vocabulary. Tokenisation runs in Python with scikit-learn's ``CountVectorizer`` on a fixed vocabulary (fast
and vectorised); skl2onnx's string ``TfIdfVectorizer`` operator ran at about 300 headlines/s here and its
regex tokeniser did not reproduce scikit-learn's tokens exactly, hence the split.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import onnxruntime as ort
from sklearn.feature_extraction.text import CountVectorizer

from engine.news.errors import SentimentModelError

INPUT_ROWS = "rows"
INPUT_TERMS = "terms"
INPUT_COUNTS = "counts"
INPUT_N = "n_rows"
OUTPUT_PROBABILITIES = "probabilities"
MANIFEST_NAME = "sentiment.manifest.json"
CHUNK = 1024  # rows per onnxruntime call: far larger batches ran slower here, not faster


class TokenizerSpec(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """How text becomes terms; identical in training and inference."""

    token_pattern: str
    ngram_min: int
    ngram_max: int


class SentimentManifest(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Metadata written next to the sentiment model: files, data lineage, split, metrics, versions."""

    manifest_version: int = 1
    name: str
    version: str
    model_kind: str
    labels: tuple[str, ...]
    tokenizer: TokenizerSpec
    onnx_file: str
    onnx_sha256: str
    vocabulary_file: str
    vocabulary_sha256: str
    data: dict[str, Any]
    split: dict[str, Any]
    metrics: dict[str, float | int]
    published: dict[str, Any]
    seed: int
    hyperparameters: dict[str, Any]
    libraries: dict[str, str]


def prepare_text(text: str) -> str:
    """Lower-case and collapse whitespace: the one text preparation used in training and scoring."""
    return " ".join(text.lower().split())


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class SentimentModel:
    """The loaded model: build once, then :meth:`probabilities` / :meth:`score` on batches of headlines.

    Parameters
    ----------
    model_dir : Path
        Directory holding ``sentiment.manifest.json``, the ONNX file and the vocabulary.
    prefer_gpu : bool
        Use CUDA when onnxruntime offers it; CPU otherwise.
    """

    def __init__(self, model_dir: str | Path, *, prefer_gpu: bool = False) -> None:
        model_dir = Path(model_dir)
        try:
            self.manifest = msgspec.json.decode(
                (model_dir / MANIFEST_NAME).read_bytes(), type=SentimentManifest
            )
        except (OSError, msgspec.DecodeError) as e:
            raise SentimentModelError(f"cannot read sentiment manifest in {model_dir}: {e}") from e
        onnx_path = model_dir / self.manifest.onnx_file
        vocab_path = model_dir / self.manifest.vocabulary_file
        for path, want in (
            (onnx_path, self.manifest.onnx_sha256),
            (vocab_path, self.manifest.vocabulary_sha256),
        ):
            if not path.is_file():
                raise SentimentModelError(f"sentiment model file missing: {path}")
            if _sha256(path) != want:
                raise SentimentModelError(f"{path} does not match the sha256 in its manifest")
        vocabulary = msgspec.json.decode(vocab_path.read_bytes(), type=list[str])
        spec = self.manifest.tokenizer
        self._vectorizer = CountVectorizer(
            vocabulary=vocabulary,
            token_pattern=spec.token_pattern,
            ngram_range=(spec.ngram_min, spec.ngram_max),
            lowercase=False,
            dtype=np.float32,
        )
        available = ort.get_available_providers()
        providers = ["CPUExecutionProvider"]
        if prefer_gpu and "CUDAExecutionProvider" in available:
            providers.insert(0, "CUDAExecutionProvider")
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        self._session = ort.InferenceSession(str(onnx_path), options, providers=providers)
        labels = self.manifest.labels
        self._negative = labels.index("negative")
        self._positive = labels.index("positive")
        self.name = f"{self.manifest.name}@{self.manifest.version}"

    def probabilities(self, texts: list[str]) -> np.ndarray:
        """Class probabilities, one row per text, columns in ``manifest.labels`` order."""
        if not texts:
            return np.zeros((0, len(self.manifest.labels)), dtype=np.float32)
        if len(texts) > CHUNK:
            return np.concatenate(
                [self.probabilities(texts[i : i + CHUNK]) for i in range(0, len(texts), CHUNK)]
            )
        counts = self._vectorizer.transform([prepare_text(t) for t in texts]).tocoo()
        feeds = {
            INPUT_ROWS: counts.row.astype(np.int64),
            INPUT_TERMS: counts.col.astype(np.int64),
            INPUT_COUNTS: counts.data.astype(np.float32),
            INPUT_N: np.array([len(texts)], dtype=np.int64),
        }
        return self._session.run([OUTPUT_PROBABILITIES], feeds)[0]

    def score(self, texts: list[str]) -> np.ndarray:
        """Sentiment in [-1, 1] per text: P(positive) - P(negative)."""
        p = self.probabilities(texts)
        return (p[:, self._positive] - p[:, self._negative]).astype(np.float64)
