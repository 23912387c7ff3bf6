"""The shipped sentiment model: retraining is byte-for-byte deterministic on one machine and reproduces the
shipped model on any CPU (vocabulary and manifest identical, held-out metrics equal, weights within one
float32 step: another CPU's BLAS kernels sum in another order); its ONNX graph agrees with scikit-learn on
the whole held-out split (``train_sentiment`` raises when it does not)."""

from __future__ import annotations

import msgspec
import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from aureus.paths import REPO_ROOT
from aureus.train_sentiment import PARITY_TOLERANCE, train_sentiment
from engine.news.sentiment import MANIFEST_NAME, SentimentManifest, SentimentModel

DATA = REPO_ROOT.parent / "shared" / "data" / "fin_phrasebank" / "Sentences_50Agree.txt"
SHIPPED = REPO_ROOT / "models" / "sentiment"


def _initializers(path) -> dict[str, np.ndarray]:
    return {i.name: numpy_helper.to_array(i) for i in onnx.load(path).graph.initializer}


@pytest.mark.slow
def test_retraining_reproduces_the_shipped_model_and_onnx_matches_sklearn(tmp_path):
    manifest = train_sentiment(DATA, tmp_path / "a")
    again = train_sentiment(DATA, tmp_path / "b")
    for name in (manifest.onnx_file, manifest.vocabulary_file, MANIFEST_NAME):  # deterministic here
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert again == manifest

    shipped = msgspec.json.decode((SHIPPED / MANIFEST_NAME).read_bytes(), type=SentimentManifest)
    assert manifest.metrics["onnx_max_abs_diff"] <= PARITY_TOLERANCE
    assert manifest.metrics["n_test"] == shipped.split["n_test"] == 968
    name = manifest.vocabulary_file
    assert (tmp_path / "a" / name).read_bytes() == (SHIPPED / name).read_bytes()
    assert manifest.metrics["accuracy"] == shipped.metrics["accuracy"]
    assert manifest.metrics["macro_f1"] == shipped.metrics["macro_f1"]
    ours = msgspec.to_builtins(manifest)
    theirs = msgspec.to_builtins(shipped)
    for key in ("onnx_sha256", "metrics"):  # the weights' hash, and metrics that print their last bits
        ours.pop(key), theirs.pop(key)
    assert ours == theirs
    got = _initializers(tmp_path / "a" / manifest.onnx_file)
    want = _initializers(SHIPPED / manifest.onnx_file)
    assert got.keys() == want.keys()
    for key, value in want.items():
        assert got[key].dtype == value.dtype and got[key].shape == value.shape, key
        if value.dtype.kind == "f":  # one float32 step is < 9.6e-7 below |w| = 8; these are below 6
            np.testing.assert_allclose(got[key], value, rtol=0, atol=1e-6, err_msg=key)
        else:
            np.testing.assert_array_equal(got[key], value, err_msg=key)


def test_scores_are_probability_differences_in_range():
    model = SentimentModel(SHIPPED)
    texts = [
        "Operating profit rose sharply and the company raised its outlook",
        "The company reported a net loss and cut jobs",
        "",
    ]
    p = model.probabilities(texts)
    assert p.shape == (3, 3)
    assert abs(float(p.sum(axis=1).max()) - 1.0) < 1e-5
    scores = model.score(texts)
    assert scores[0] > 0 > scores[1]
    assert all(-1.0 <= s <= 1.0 for s in scores)


def test_analyzer_reproduces_sklearn_word_and_char_wb_terms():
    from sklearn.feature_extraction.text import TfidfVectorizer

    from aureus.train_sentiment import TOKEN_PATTERN, read_phrasebank
    from engine.news.sentiment import CHAR_PREFIX, TokenizerSpec, make_analyzer

    sentences, _ = read_phrasebank(DATA)
    words = TfidfVectorizer(token_pattern=TOKEN_PATTERN, ngram_range=(1, 2), lowercase=False).build_analyzer()
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), lowercase=False).build_analyzer()
    spec = TokenizerSpec(token_pattern=TOKEN_PATTERN, ngram_min=1, ngram_max=2, char_wb_min=3, char_wb_max=5)
    ours = make_analyzer(spec)
    for text in [*sentences[:500], "a b", "x", "up 5 % , ok"]:
        assert ours(text) == words(text) + [CHAR_PREFIX + g for g in chars(text)], text
