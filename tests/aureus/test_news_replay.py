"""StockNet tweets on StockNet bars: scored offline, replayed, news penalties fire and are counted."""

from __future__ import annotations

import gzip
import json
from datetime import datetime

import pytest

from adapters.importers import import_files
from adapters.recorded.files import open_recording, to_record, write_recording
from aureus.paths import REPO_ROOT
from aureus.replay import run_replay
from engine.config import load_config
from schemas.market import NewsRaw
from streams.news.offline import score_recording

DATA = REPO_ROOT.parent / "shared" / "data"
TICKERS = ("AAPL", "AMZN", "FB", "GOOG", "MSFT")


def _tweets() -> list[NewsRaw]:
    items = []
    with gzip.open(DATA / "stocknet_tweets" / "stocknet_tweets_preprocessed.jsonl.gz", "rt") as f:
        for line in f:
            row = json.loads(line)
            if row["ticker"] in TICKERS:
                ts = int(datetime.strptime(row["created_at"], "%a %b %d %H:%M:%S %z %Y").timestamp())
                items.append(NewsRaw(source="stocknet", ts_event=ts * 10**9, headline=row["text"]))
    return items


@pytest.mark.slow
def test_stocknet_tweets_scored_offline_fire_news_penalties_in_replay(tmp_path):
    rec, run = tmp_path / "REC", tmp_path / "RUN"
    import_files("yahoo-daily", [DATA / "stocknet_daily_88" / "price_raw" / f"{t}.csv" for t in TICKERS], rec)
    recording = open_recording(rec)
    records = [r for topic in recording.topics for r in recording.iter_topic(topic)]
    tweets = _tweets()
    m = recording.manifest
    write_recording(
        rec,
        [*records, *(to_record(t) for t in tweets)],
        source=m.source,
        synthetic=m.synthetic,
        instruments=m.instruments,
        overwrite=True,
    )

    _, counts = score_recording(rec, load_config().news_worker)
    assert counts["received"] == len(tweets) and counts["published"] > 0
    assert counts["duplicate_exact"] + counts["duplicate_near"] > 0  # retweets

    report = run_replay(load_config(overrides=["replay.progress=false"]), data=rec, out=run)
    assert report["news"] == counts["published"]
    decisions = [json.loads(line) for line in (run / "decisions.jsonl").read_text().splitlines()]
    fired = sum(1 for d in decisions if "news_negative" in d["penalties"])
    print(
        f"news replay: {len(tweets)} tweets, {counts['published']} scored items, {len(decisions)} decisions, "
        f"news_negative fired {fired}x; report penalties {report.get('penalties_fired')}"
    )
    assert fired > 0
    assert report["penalties_fired"]["news_negative"] == fired
    # Attribution: every decision the news penalty hit names the scored items behind its sentiment.
    scored_ids = {r.payload.news_id for r in open_recording(rec).iter_topic("news.scored")}
    penalised = [d for d in decisions if "news_negative" in d["penalties"]]
    assert all(d["news_ids"] and set(d["news_ids"]) <= scored_ids for d in penalised)
