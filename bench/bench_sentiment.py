"""(e) Headline sentiment: held-out accuracy / macro-F1 and headlines per second on one CPU thread.

Accuracy and macro-F1 are measured through the shipped ONNX model on the held-out 20% of Financial
PhraseBank (the split recorded in its manifest), next to FinBERT's published accuracy on the same data.
Throughput: the ONNX model alone, and the whole news processor (normalise, link, dedup, quality,
sentiment) on 20,000 real StockNet tweets; the baseline, in the same run, is scikit-learn's own
``TfidfVectorizer`` + ``LogisticRegression.predict_proba`` on the same held-out sentences.
"""

from __future__ import annotations

import gzip
import json
import time
from datetime import datetime

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split

from aureus.paths import REPO_ROOT, resolve_repo_path
from aureus.train_sentiment import NGRAMS, TOKEN_PATTERN, C, read_phrasebank
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

    vec = TfidfVectorizer(token_pattern=TOKEN_PATTERN, ngram_range=NGRAMS, lowercase=False, sublinear_tf=True)
    clf = LogisticRegression(C=C, max_iter=5000).fit(vec.fit_transform(x_train), y_train)
    batch = x_test * 10
    onnx_rate = _rate(lambda: model.score(batch), len(batch))
    sk_rate = _rate(lambda: clf.predict_proba(vec.transform(batch)), len(batch))

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

    published = model.manifest.published
    print("[e] headline sentiment (Financial PhraseBank held-out, one CPU thread):")
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
    return {"accuracy": acc, "macro_f1": f1, "onnx_per_s": onnx_rate, "processor_per_s": processor_rate}


if __name__ == "__main__":
    main()
