"""Headline sentiment from the shipped ONNX model: word and char n-gram tf-idf, financial-direction features
(:mod:`engine.news.sentiment_features`) and a multinomial logistic regression.

The graph takes sparse term counts (``rows``, ``terms``, ``counts``: one entry per non-zero) plus the dense
domain features and applies the sublinear tf, idf weighting, per-block L2 normalisation, standardisation and
linear layer itself, so the model is one ONNX file plus its vocabulary. Tokenisation runs in Python on a
fixed vocabulary (dictionary lookups, char n-grams cached per word); skl2onnx's string ``TfIdfVectorizer``
operator ran at about 300 headlines/s here and its regex tokeniser did not reproduce scikit-learn's tokens
exactly, hence the split.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import onnxruntime as ort
import scipy.sparse as sp

from engine.news.errors import SentimentModelError
from engine.news.sentiment_features import FEATURE_NAMES, domain_matrix

INPUT_ROWS = "rows"
INPUT_TERMS = "terms"
INPUT_COUNTS = "counts"
INPUT_N = "n_rows"
INPUT_DENSE = "dense"
OUTPUT_PROBABILITIES = "probabilities"
MANIFEST_NAME = "sentiment.manifest.json"
WORD_CACHE = 1 << 17  # distinct words whose char n-gram ids are kept
CHUNK = 1024  # rows per onnxruntime call: far larger batches ran slower here, not faster


CHAR_PREFIX = "#"  # marks char n-gram terms; no word term can contain it (``\\w`` and ``%+-`` only)


class TokenizerSpec(
    msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True, omit_defaults=True
):
    """How text becomes terms; identical in training and inference.

    Word n-grams of ``token_pattern`` tokens, plus (when ``char_wb_max`` > 0) scikit-learn's ``char_wb``
    n-grams of each space-padded word, prefixed with ``CHAR_PREFIX``.
    """

    token_pattern: str
    ngram_min: int
    ngram_max: int
    char_wb_min: int = 0
    char_wb_max: int = 0


def char_wb_grams(word: str, n_min: int, n_max: int) -> list[str]:
    """scikit-learn's ``char_wb`` n-grams of one word: the same terms and multiplicities, in the same order
    (every window of the space-padded word; a word no longer than ``n`` gives one gram, the whole padded
    word, and ends the loop)."""
    w = f" {word} "
    size = len(w)
    grams = []
    for n in range(n_min, n_max + 1):
        if size <= n:
            grams.append(CHAR_PREFIX + w)
            break
        grams += [CHAR_PREFIX + w[i : i + n] for i in range(size - n + 1)]
    return grams


def make_analyzer(spec: TokenizerSpec) -> Callable[[str], list[str]]:
    """Text (already :func:`prepare_text`-ed) to its terms: the analyzer scikit-learn trains with."""
    token = re.compile(spec.token_pattern)

    def analyze(text: str) -> list[str]:
        tokens = token.findall(text)
        terms = list(tokens) if spec.ngram_min == 1 else []
        for n in range(max(2, spec.ngram_min), spec.ngram_max + 1):
            terms += [" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
        if spec.char_wb_max:
            for word in text.split():
                terms += char_wb_grams(word, spec.char_wb_min, spec.char_wb_max)
        return terms

    return analyze


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
    domain_features: tuple[str, ...] = ()  # :data:`engine.news.sentiment_features.FEATURE_NAMES` when used


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
        if self.manifest.domain_features and self.manifest.domain_features != FEATURE_NAMES:
            raise SentimentModelError(
                f"the model in {model_dir} was trained on domain features {self.manifest.domain_features}, "
                f"this code computes {FEATURE_NAMES}: retrain it with `aureus train sentiment`"
            )
        vocabulary = msgspec.json.decode(vocab_path.read_bytes(), type=list[str])
        spec = self.manifest.tokenizer
        self._vocabulary = {term: i for i, term in enumerate(vocabulary)}
        self._n_terms = len(vocabulary)
        self._token = re.compile(spec.token_pattern)
        get = self._vocabulary.get

        # A word's char n-grams depend on the word alone and headlines repeat words, so each distinct word is
        # split and looked up once (bounded cache; the output does not depend on what is cached).
        @functools.lru_cache(maxsize=WORD_CACHE)
        def char_ids(word: str) -> np.ndarray:
            grams = char_wb_grams(word, spec.char_wb_min, spec.char_wb_max)
            return np.array([i for i in map(get, grams) if i is not None], dtype=np.int64)

        self._char_ids = char_ids
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

    def word_ids(self, text: str) -> list[int]:
        """Vocabulary ids, with repeats, of the word n-grams of one prepared text."""
        spec, get = self.manifest.tokenizer, self._vocabulary.get
        tokens = self._token.findall(text)
        terms = tokens if spec.ngram_min == 1 else []
        for n in range(max(2, spec.ngram_min), spec.ngram_max + 1):
            if n == 2:  # the common case, without a slice and a join per bigram
                terms = terms + [f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False)]
            else:
                terms = terms + [" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
        return [i for i in map(get, terms) if i is not None]

    def term_counts(self, prepared: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Sparse counts of a batch of :func:`prepare_text`-ed texts as (row, term, count), sorted by row then
        term like scikit-learn's CSR (the :func:`make_analyzer` terms)."""
        n = len(prepared)
        per_text = [self.word_ids(t) for t in prepared]
        lengths = np.fromiter(map(len, per_text), dtype=np.int64, count=n)
        rows = [np.repeat(np.arange(n, dtype=np.int64), lengths)]
        ids = [np.fromiter(itertools.chain.from_iterable(per_text), dtype=np.int64, count=int(lengths.sum()))]
        if self.manifest.tokenizer.char_wb_max:
            # char n-grams: one cached id array per word, joined per batch (headlines repeat words)
            words = [t.split() for t in prepared]
            per_word = [self._char_ids(w) for ws in words for w in ws]
            word_rows = np.repeat(np.arange(n, dtype=np.int64), [len(ws) for ws in words])
            rows.append(
                np.repeat(word_rows, np.fromiter(map(len, per_word), dtype=np.int64, count=len(per_word)))
            )
            ids.append(np.concatenate(per_word) if per_word else np.zeros(0, dtype=np.int64))
        all_rows, all_ids = np.concatenate(rows), np.concatenate(ids)
        # coo -> csr sums repeats and sorts each row's terms: cheaper than one global sort of row*n+term keys
        m = sp.csr_matrix(
            (np.ones(len(all_ids), dtype=np.float32), (all_rows, all_ids)), shape=(n, self._n_terms)
        )
        m.sum_duplicates()
        return (
            np.repeat(np.arange(n, dtype=np.int64), np.diff(m.indptr)),
            m.indices.astype(np.int64),
            m.data,
        )

    def dense_features(self, prepared: list[str]) -> np.ndarray:
        """The graph's dense input for prepared texts: the domain features, when the model has them."""
        if not self.manifest.domain_features:
            return np.zeros((len(prepared), 0))
        return domain_matrix(prepared)

    def probabilities(self, texts: list[str]) -> np.ndarray:
        """Class probabilities, one row per text, columns in ``manifest.labels`` order."""
        if not texts:
            return np.zeros((0, len(self.manifest.labels)), dtype=np.float32)
        if len(texts) > CHUNK:
            return np.concatenate(
                [self.probabilities(texts[i : i + CHUNK]) for i in range(0, len(texts), CHUNK)]
            )
        prepared = [prepare_text(t) for t in texts]
        rows, terms, counts = self.term_counts(prepared)
        feeds = {
            INPUT_ROWS: rows,
            INPUT_TERMS: terms,
            INPUT_COUNTS: counts,
            INPUT_N: np.array([len(texts)], dtype=np.int64),
            INPUT_DENSE: self.dense_features(prepared).astype(np.float32),
        }
        return self._session.run([OUTPUT_PROBABILITIES], feeds)[0]

    def score(self, texts: list[str]) -> np.ndarray:
        """Sentiment in [-1, 1] per text: P(positive) - P(negative)."""
        p = self.probabilities(texts)
        return (p[:, self._positive] - p[:, self._negative]).astype(np.float64)
