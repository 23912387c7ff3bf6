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
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split

from aureus.paths import REPO_ROOT, resolve_repo_path
from aureus.sentiment_fit import Fitted
from aureus.train_sentiment import CV_VARIANTS, SHIPPED, read_phrasebank, train_sentiment
from engine.config import NewsWorkerConfig
from engine.news.processor import NewsProcessor
from engine.news.sentiment import SentimentModel
from schemas.market import NewsRaw
from streams.news.build import build_processor

DATA = REPO_ROOT.parent / "shared" / "data"


def _rates(fns: dict[str, Callable[[], object]], n: int, repeat: int = 3) -> dict[str, float]:
    """Items/s of each function, best of ``repeat``, run round-robin so load swings hit them all alike."""
    best = dict.fromkeys(fns, float("inf"))
    for _ in range(repeat):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - start)
    return {name: n / t for name, t in best.items()}


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
    tweets = []
    with gzip.open(DATA / "stocknet_tweets" / "stocknet_tweets_preprocessed.jsonl.gz", "rt") as f:
        for i, line in enumerate(f):
            if i >= 20_000:
                break
            row = json.loads(line)
            ts = int(datetime.strptime(row["created_at"], "%a %b %d %H:%M:%S %z %Y").timestamp()) * 10**9
            tweets.append(NewsRaw(source="stocknet", ts_event=ts, headline=row["text"]))
    tweets.sort(key=lambda t: t.ts_event)

    # The previous, word-only model, measured in the same run: what the new blocks cost.
    with tempfile.TemporaryDirectory() as tmp:
        previous = train_sentiment(
            DATA / "fin_phrasebank" / "Sentences_50Agree.txt", Path(tmp), variant=CV_VARIANTS[0]
        )
        previous_model = SentimentModel(tmp)
        previous_config = NewsWorkerConfig(model_dir=tmp)
        batch = x_test * 10
        alone = _rates(
            {
                "onnx": lambda: model.score(batch),
                "sklearn": lambda: fitted.predict_proba(batch),
                "previous": lambda: previous_model.score(batch),
            },
            len(batch),
        )
        # A fresh processor per repeat (its dedup window is state), building included; and a fresh processor
        # around an already loaded model (a running worker: vocabulary loaded, char n-gram cache warm).
        config = NewsWorkerConfig()
        loaded, loaded_previous = build_processor(config), build_processor(previous_config)
        processor = _rates(
            {
                "new": lambda: build_processor(config).process(tweets),
                "previous": lambda: build_processor(previous_config).process(tweets),
                "new_loaded": lambda: NewsProcessor(config, loaded.linker, loaded.scorer).process(tweets),
                "previous_loaded": lambda: NewsProcessor(
                    config, loaded_previous.linker, loaded_previous.scorer
                ).process(tweets),
            },
            len(tweets),
        )
    onnx_rate, sk_rate = alone["onnx"], alone["sklearn"]
    processor_rate, previous_rate = processor["new"], processor["previous"]

    published = model.manifest.published
    print(f"[e] headline sentiment {model.name} (Financial PhraseBank held-out, one CPU thread):")
    print(
        f"    accuracy {acc:.4f}  macro-F1 {f1:.4f}  on {len(x_test)} sentences "
        f"(FinBERT published: accuracy {published['finbert_accuracy']}, "
        f"F1 {published['finbert_macro_f1_reported_as_f1']})"
    )
    sk, prev = f"{sk_rate:,.0f}/s", f"{alone['previous']:,.0f}/s"
    print(
        f"    ONNX model alone  {onnx_rate:>10,.0f} headlines/s  ({onnx_rate / sk_rate:.2f}x the same model "
        f"in scikit-learn, {sk}; previous word-only model {prev})"
    )
    steps = "normalise, link, dedup, quality, sentiment; building included"
    print(
        f"    news processor    {processor_rate:>10,.0f} headlines/s  (20,000 StockNet tweets: {steps}; "
        f"previous model {previous_rate:,.0f}/s, new/previous {processor_rate / previous_rate:.2f}x)"
    )
    warm, warm_previous = processor["new_loaded"], processor["previous_loaded"]
    print(
        f"    same, model loaded {warm:>9,.0f} headlines/s  (a running worker: only the processor is fresh; "
        f"previous model {warm_previous:,.0f}/s, new/previous {warm / warm_previous:.2f}x)"
    )
    print(
        f"    previous model held-out: accuracy {previous.metrics['accuracy']:.4f}, "
        f"macro-F1 {previous.metrics['macro_f1']:.4f} ({CV_VARIANTS[0].name})"
    )
    return {
        "accuracy": acc,
        "macro_f1": f1,
        "onnx_per_s": onnx_rate,
        "processor_per_s": processor_rate,
        "previous_processor_per_s": previous_rate,
        "previous_onnx_per_s": alone["previous"],
        "processor_loaded_per_s": warm,
        "previous_processor_loaded_per_s": warm_previous,
    }


if __name__ == "__main__":
    main()
