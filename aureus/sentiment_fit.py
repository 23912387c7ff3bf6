"""The sentiment model's scikit-learn side: feature blocks, the fit, and cross-validation of variants.

Input of the logistic regression, block by block (each block scaled on its own, so no block drowns another):

- word 1-2-gram tf-idf (sublinear tf, L2 row norm);
- optionally ``char_wb`` n-gram tf-idf of each word, L2-normalised separately (spelling variants, numbers
  glued to currencies such as "eur13");
- optionally the domain features of :mod:`engine.news.sentiment_features`, standardised and multiplied by a
  block weight (the weight is the block's regularisation relative to the others, chosen by CV).

Term order in the exported vocabulary is word terms then ``CHAR_PREFIX`` + char terms; the ONNX graph keeps
a block id per term to normalise each block on its own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import msgspec
import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from engine.news.sentiment import CHAR_PREFIX
from engine.news.sentiment_features import domain_matrix

TOKEN_PATTERN = r"(?u)\b\w\w+\b|[%+\-]"
NGRAMS = (1, 2)
LABELS = ("negative", "neutral", "positive")


class Variant(msgspec.Struct, frozen=True, kw_only=True):
    """One model configuration compared by cross-validation."""

    name: str
    C: float
    char_wb: tuple[int, int] | None = None
    domain_weight: float = 0.0  # 0: no domain block


class Fitted:
    """Fitted vectorisers, scaler and classifier of one :class:`Variant`."""

    def __init__(self, variant: Variant, texts: Sequence[str], labels: Sequence[str]) -> None:
        self.variant = variant
        self.words = TfidfVectorizer(
            token_pattern=TOKEN_PATTERN, ngram_range=NGRAMS, lowercase=False, sublinear_tf=True
        )
        blocks = [self.words.fit_transform(texts)]
        self.chars = None
        if variant.char_wb:
            self.chars = TfidfVectorizer(
                analyzer="char_wb", ngram_range=variant.char_wb, lowercase=False, sublinear_tf=True
            )
            blocks.append(self.chars.fit_transform(texts))
        self.scaler = None
        if variant.domain_weight:
            self.scaler = StandardScaler().fit(domain_matrix(list(texts)))
        blocks += self._dense(texts)
        self.classifier = LogisticRegression(C=variant.C, max_iter=5000)
        # One BLAS thread: on the shared 2-core machine L-BFGS with a threaded BLAS ran 10-40x slower
        # (measured 7.7 s vs 0.19 s on 300 sentences), and one thread fixes the summation order.
        with threadpool_limits(limits=1):
            self.classifier.fit(sp.hstack(blocks).tocsr(), labels)
        if tuple(self.classifier.classes_) != LABELS:
            raise ValueError(f"unexpected classes {self.classifier.classes_}")

    def _dense(self, texts: Sequence[str]) -> list[sp.csr_matrix]:
        if self.scaler is None:
            return []
        return [sp.csr_matrix((domain_matrix(list(texts)) - self.scaler.mean_) / self.dense_scale())]

    def dense_scale(self) -> np.ndarray:
        """StandardScaler's scale divided by the block weight (what the ONNX graph divides by)."""
        if self.scaler is None:
            return np.zeros(0)
        return self.scaler.scale_ / self.variant.domain_weight

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        blocks = [self.words.transform(texts)]
        if self.chars is not None:
            blocks.append(self.chars.transform(texts))
        return sp.hstack(blocks + self._dense(texts)).tocsr()

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        return self.classifier.predict_proba(self.transform(texts))

    def vocabulary(self) -> tuple[list[str], np.ndarray, np.ndarray]:
        """(terms, idf, block id) in the column order of the sparse blocks."""
        terms = list(self.words.get_feature_names_out())
        idf = [self.words.idf_]
        block = [np.zeros(len(terms), dtype=np.int64)]
        if self.chars is not None:
            grams = [CHAR_PREFIX + g for g in self.chars.get_feature_names_out()]
            terms += grams
            idf.append(self.chars.idf_)
            block.append(np.ones(len(grams), dtype=np.int64))
        return terms, np.concatenate(idf), np.concatenate(block)


class CVResult(msgspec.Struct, frozen=True):
    """Accuracy and macro-F1 of each fold of one variant."""

    variant: str
    accuracy: list[float]
    macro_f1: list[float]

    def summary(self) -> str:
        a, f = np.array(self.accuracy), np.array(self.macro_f1)
        return f"accuracy {a.mean():.4f} ± {a.std():.4f}, macro-F1 {f.mean():.4f} ± {f.std():.4f}"


def cross_validate(
    texts: Sequence[str],
    labels: Sequence[str],
    variant: Variant,
    *,
    folds: int = 5,
    seed: int = 7,
    on_fold: Callable[[int], None] | None = None,
) -> CVResult:
    """Stratified k-fold CV of ``variant`` on the given sentences (the training split, never the test)."""
    y = np.asarray(labels)
    acc, f1 = [], []
    for k, (tr, va) in enumerate(StratifiedKFold(folds, shuffle=True, random_state=seed).split(texts, y)):
        fitted = Fitted(variant, [texts[i] for i in tr], y[tr])
        predicted = fitted.classifier.predict(fitted.transform([texts[i] for i in va]))
        acc.append(float(accuracy_score(y[va], predicted)))
        f1.append(float(f1_score(y[va], predicted, average="macro")))
        if on_fold:
            on_fold(k)
    return CVResult(variant.name, acc, f1)
