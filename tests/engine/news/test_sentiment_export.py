"""Export of every model variant on a small slice of Financial PhraseBank: the ONNX graph (per-block norms,
dense domain block) matches scikit-learn's ``predict_proba`` (``train_sentiment`` raises when it does not),
and a model whose manifest names other domain features is refused."""

from __future__ import annotations

import msgspec
import pytest

from aureus.paths import REPO_ROOT
from aureus.train_sentiment import CV_VARIANTS, PARITY_TOLERANCE, SHIPPED, train_sentiment
from engine.news.errors import SentimentModelError
from engine.news.sentiment import MANIFEST_NAME, SentimentManifest, SentimentModel

DATA = REPO_ROOT.parent / "shared" / "data" / "fin_phrasebank" / "Sentences_50Agree.txt"


@pytest.fixture(scope="module")
def small_data(tmp_path_factory):
    lines = DATA.read_bytes().decode("utf-8-sig").splitlines()
    path = tmp_path_factory.mktemp("phrasebank") / "small.txt"
    path.write_text("\n".join(lines[::12]) + "\n", encoding="utf-8")  # ~400 sentences, all three labels
    return path


@pytest.mark.parametrize("variant", CV_VARIANTS, ids=[v.name for v in CV_VARIANTS])
def test_onnx_matches_sklearn_for_every_variant(small_data, tmp_path, variant):
    manifest = train_sentiment(small_data, tmp_path, variant=variant)
    assert manifest.metrics["onnx_max_abs_diff"] <= PARITY_TOLERANCE
    assert bool(manifest.domain_features) == bool(variant.domain_weight)
    assert bool(manifest.tokenizer.char_wb_max) == bool(variant.char_wb)
    p = SentimentModel(tmp_path).probabilities(["Operating profit rose to EUR 13.1 mn from EUR 8.7 mn ."])
    assert p.shape == (1, 3) and abs(float(p.sum()) - 1.0) < 1e-5


def test_domain_block_moves_the_score(small_data, tmp_path):
    train_sentiment(small_data, tmp_path, variant=SHIPPED)
    model = SentimentModel(tmp_path)
    # same words, opposite direction of the numbers: only the comparison features differ
    up, down = model.score(["sales were eur 9 mn from eur 4 mn", "sales were eur 4 mn from eur 9 mn"])
    assert up > down


def test_model_with_other_domain_features_is_refused(small_data, tmp_path):
    train_sentiment(small_data, tmp_path, variant=SHIPPED)
    path = tmp_path / MANIFEST_NAME
    manifest = msgspec.json.decode(path.read_bytes(), type=SentimentManifest)
    assert manifest.domain_features
    changed = msgspec.structs.replace(manifest, domain_features=("something_else",))
    path.write_bytes(msgspec.json.encode(changed))
    with pytest.raises(SentimentModelError, match="domain features"):
        SentimentModel(tmp_path)
