"""(e) Headline sentiment: held-out accuracy / macro-F1 and headlines per second on one CPU thread.

Accuracy and macro-F1 are measured through the shipped ONNX model on the held-out 20% of Financial
PhraseBank (the split recorded in its manifest), next to FinBERT's published accuracy on the same data.
Throughput: the ONNX model alone, and the whole news processor (normalise, link, dedup, quality,
sentiment) on 20,000 real StockNet tweets; the baseline, in the same run, is the same model fitted and run by
scikit-learn itself (``TfidfVectorizer`` x2 + domain features + ``LogisticRegression.predict_proba``) on the
same held-out sentences.
"""

from __future__ import annotations

import gzip
import json
import tempfile
import time
from datetime import datetime
from pathlib import Path

from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split

from aureus.paths import REPO_ROOT, resolve_repo_path
from aureus.sentiment_fit import Fitted
from aureus.train_sentiment import CV_VARIANTS, SHIPPED, read_phrasebank, train_sentiment
from engine.config import NewsWorkerConfig
from engine.news.sentiment import SentimentModel
from schemas.market import NewsRaw
from streams.news.build import build_processor

DATA = REPO_ROOT.parent / "shared" / "data"


def _rate(fn, n: int, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return n / best


def main() -> dict[str, float]:
    model = SentimentModel(resolve_repo_path(NewsWorkerConfig().model_dir))
    split = model.manifest.split
    sentences, labels = read_phrasebank(DATA / "fin_phrasebank" / "Sentences_50Agree.txt")
    x_train, x_test, y_train, y_test = train_test_split(
        sentences, labels, test_size=split["test_fraction"], random_state=split["seed"], stratify=labels
    )
    probs = model.probabilities(x_test)
    predicted = [model.manifest.labels[i] for i in probs.argmax(axis=1)]
    acc = accuracy_score(y_test, predicted)
    f1 = f1_score(y_test, predicted, average="macro")

    fitted = Fitted(SHIPPED, x_train, y_train)
    batch = x_test * 10
    onnx_rate = _rate(lambda: model.score(batch), len(batch))
    sk_rate = _rate(lambda: fitted.predict_proba(batch), len(batch))

    tweets = []
    with gzip.open(DATA / "stocknet_tweets" / "stocknet_tweets_preprocessed.jsonl.gz", "rt") as f:
        for i, line in enumerate(f):
            if i >= 20_000:
                break
            row = json.loads(line)
            ts = int(datetime.strptime(row["created_at"], "%a %b %d %H:%M:%S %z %Y").timestamp()) * 10**9
            tweets.append(NewsRaw(source="stocknet", ts_event=ts, headline=row["text"]))
    tweets.sort(key=lambda t: t.ts_event)
    # A fresh processor per repeat (its dedup window is state); best of 3 because the machine is shared.
    processor_rate = _rate(lambda: build_processor(NewsWorkerConfig()).process(tweets), len(tweets))
    # The previous, word-only model through the same processor, in the same run: what the new features cost.
    with tempfile.TemporaryDirectory() as tmp:
        previous = train_sentiment(
            DATA / "fin_phrasebank" / "Sentences_50Agree.txt", Path(tmp), variant=CV_VARIANTS[0]
        )
        config = NewsWorkerConfig(model_dir=tmp)
        previous_rate = _rate(lambda: build_processor(config).process(tweets), len(tweets))

    published = model.manifest.published
    print(f"[e] headline sentiment {model.name} (Financial PhraseBank held-out, one CPU thread):")
    print(
        f"    accuracy {acc:.4f}  macro-F1 {f1:.4f}  on {len(x_test)} sentences "
        f"(FinBERT published: accuracy {published['finbert_accuracy']}, "
        f"F1 {published['finbert_macro_f1_reported_as_f1']})"
    )
    print(
        f"    ONNX model        {onnx_rate:>10,.0f} headlines/s  ({onnx_rate / sk_rate:.2f}x scikit-learn "
        f"pipeline {sk_rate:,.0f}/s)"
    )
    print(
        f"    news processor    {processor_rate:>10,.0f} headlines/s  (20,000 StockNet tweets: normalise, "
        "link, "
        f"dedup, quality, sentiment; includes building the processor; {processor_rate / sk_rate:.2f}x the "
        "scikit-learn pipeline above)"
    )
    print(
        f"    previous model    {previous_rate:>10,.0f} headlines/s through the same processor "
        f"({CV_VARIANTS[0].name}: held-out accuracy {previous.metrics['accuracy']:.4f}); "
        f"new/previous {processor_rate / previous_rate:.2f}x"
    )
    return {
        "accuracy": acc,
        "macro_f1": f1,
        "onnx_per_s": onnx_rate,
        "processor_per_s": processor_rate,
        "previous_processor_per_s": previous_rate,
    }


if __name__ == "__main__":
    main()
