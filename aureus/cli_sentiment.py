"""``aureus train sentiment [--cv]``: train the headline sentiment model, or compare its variants by CV."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from aureus.cli_progress import step_progress

_out = Console()


def sentiment(
    data: Annotated[Path, typer.Option(help="Financial PhraseBank Sentences_50Agree.txt.")] = Path(
        "../shared/data/fin_phrasebank/Sentences_50Agree.txt"
    ),
    out: Annotated[Path, typer.Option(help="Model directory.")] = Path("models/sentiment"),
    seed: Annotated[int, typer.Option(help="Seed of the train/test split (and of the CV folds).")] = 7,
    cv: Annotated[
        bool,
        typer.Option(
            "--cv", help="Only compare the model variants by 5-fold CV on the training split; write nothing."
        ),
    ] = False,
) -> None:
    """Train the headline sentiment model (tf-idf + domain features + logistic regression), export ONNX."""
    from aureus.paths import resolve_repo_path
    from aureus.train_sentiment import SHIPPED, cross_validate_variants, train_sentiment

    if cv:
        with step_progress(_out) as on_step:
            results = cross_validate_variants(resolve_repo_path(data), seed=seed, on_step=on_step)
        table = Table(title="5-fold CV on the training split (mean ± std over folds)")
        for column in ("variant", "accuracy", "macro-F1"):
            table.add_column(column)
        for r in results:
            acc, f1 = r.summary().split(", ")
            shipped = " (shipped)" if r.variant == SHIPPED.name else ""
            table.add_row(r.variant + shipped, acc.removeprefix("accuracy "), f1.removeprefix("macro-F1 "))
        _out.print(table)
        return
    with step_progress(_out) as on_step:
        manifest = train_sentiment(
            resolve_repo_path(data), resolve_repo_path(out), seed=seed, on_step=on_step
        )
    m = manifest.metrics
    _out.print(
        f"held-out ({m['n_test']} sentences): accuracy {m['accuracy']:.4f}, macro-F1 {m['macro_f1']:.4f}; "
        f"ONNX vs scikit-learn max |dp| {m['onnx_max_abs_diff']:.2g}; published FinBERT accuracy "
        f"{manifest.published['finbert_accuracy']}"
    )
