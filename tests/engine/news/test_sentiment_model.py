"""The shipped sentiment model: retraining reproduces its files byte for byte, and its ONNX graph agrees
with scikit-learn on the whole held-out split (``train_sentiment`` raises when it does not)."""

from __future__ import annotations

import msgspec
import pytest

from aureus.paths import REPO_ROOT
from aureus.train_sentiment import PARITY_TOLERANCE, train_sentiment
from engine.news.sentiment import MANIFEST_NAME, SentimentManifest, SentimentModel

DATA = REPO_ROOT.parent / "shared" / "data" / "fin_phrasebank" / "Sentences_50Agree.txt"
SHIPPED = REPO_ROOT / "models" / "sentiment"


@pytest.mark.slow
def test_retraining_reproduces_the_shipped_model_and_onnx_matches_sklearn(tmp_path):
    manifest = train_sentiment(DATA, tmp_path)
    shipped = msgspec.json.decode((SHIPPED / MANIFEST_NAME).read_bytes(), type=SentimentManifest)
    assert manifest.metrics["onnx_max_abs_diff"] <= PARITY_TOLERANCE
    assert manifest.metrics["n_test"] == shipped.split["n_test"] == 968
    for name in (manifest.onnx_file, manifest.vocabulary_file, MANIFEST_NAME):
        assert (tmp_path / name).read_bytes() == (SHIPPED / name).read_bytes(), name
    assert manifest.metrics["accuracy"] == shipped.metrics["accuracy"]
    assert manifest.metrics["macro_f1"] == shipped.metrics["macro_f1"]


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
