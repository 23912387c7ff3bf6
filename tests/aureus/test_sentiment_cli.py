"""``aureus train sentiment``: trains and exports on a small PhraseBank slice; ``--cv`` prints the variant
table without writing a model."""

from __future__ import annotations

from typer.testing import CliRunner

from aureus.cli import _mount_subcommands, app
from aureus.paths import REPO_ROOT
from aureus.train_sentiment import CV_VARIANTS, SHIPPED
from engine.news.sentiment import MANIFEST_NAME, SentimentModel

DATA = REPO_ROOT.parent / "shared" / "data" / "fin_phrasebank" / "Sentences_50Agree.txt"
_mount_subcommands()


def _small(tmp_path):
    lines = DATA.read_bytes().decode("utf-8-sig").splitlines()
    path = tmp_path / "small.txt"
    path.write_text("\n".join(lines[::16]) + "\n", encoding="utf-8")
    return path


def test_train_sentiment_writes_a_loadable_model(tmp_path):
    out = tmp_path / "model"
    args = ["train", "sentiment", "--data", str(_small(tmp_path)), "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "held-out" in result.output and "accuracy" in result.output
    model = SentimentModel(out)
    assert model.manifest.hyperparameters["variant"] == SHIPPED.name
    assert model.score(["Net loss narrowed to EUR 2 mn from EUR 5 mn ."]).shape == (1,)


def test_train_sentiment_cv_prints_every_variant_and_writes_nothing(tmp_path):
    out = tmp_path / "model"
    result = CliRunner().invoke(
        app, ["train", "sentiment", "--cv", "--data", str(_small(tmp_path)), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    for variant in CV_VARIANTS:
        assert variant.name.split(",")[0] in result.output
    assert "(shipped)" in result.output
    assert not (out / MANIFEST_NAME).exists()
