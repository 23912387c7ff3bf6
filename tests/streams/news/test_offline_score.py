"""``aureus news score REC``: news.scored added to a recording built from real StockNet tweets and bars."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime

from typer.testing import CliRunner

from adapters.recorded.files import open_recording, write_recording
from aureus.cli_workers import news_app
from aureus.paths import REPO_ROOT
from engine.config import NewsWorkerConfig
from schemas.market import Bar, NewsRaw, NewsScored
from schemas.recording import InstrumentSpec
from streams.news.offline import score_recording

DATA = REPO_ROOT.parent / "shared" / "data"
DAY = 86_400 * 10**9


def _recording(path, n_tweets=300):
    bars = []
    for line in (DATA / "stocknet_daily_88" / "price_raw" / "AAPL.csv").read_text().splitlines()[1:]:
        d, o, h, lo, c, _adj, v = line.split(",")
        ts = int(datetime.fromisoformat(d).replace(tzinfo=UTC).timestamp()) * 10**9 + DAY - 1
        if d.startswith("2014-01"):
            bars.append(
                Bar(
                    instrument="AAPL.XNAS",
                    interval_s=86400,
                    ts_event=ts,
                    open=float(o),
                    high=float(h),
                    low=float(lo),
                    close=float(c),
                    volume=float(v),
                )
            )
    news = []
    with gzip.open(DATA / "stocknet_tweets" / "stocknet_tweets_preprocessed.jsonl.gz", "rt") as f:
        for i, line in enumerate(f):
            if i >= n_tweets:
                break
            row = json.loads(line)
            ts = int(datetime.strptime(row["created_at"], "%a %b %d %H:%M:%S %z %Y").timestamp()) * 10**9
            news.append(NewsRaw(source="stocknet", ts_event=ts, headline=row["text"]))
    spec = InstrumentSpec(
        instrument_id="AAPL.XNAS",
        kind="equity",
        base_currency="AAPL",
        quote_currency="USD",
        price_precision=2,
        size_precision=0,
        bar_interval_s=86400,
    )
    write_recording(path, [*bars, *news], source="test:stocknet", synthetic=False, instruments=[spec])
    return len(bars), len(news)


def test_scoring_adds_news_scored_on_the_recordings_instruments(tmp_path):
    n_bars, n_news = _recording(tmp_path / "rec")
    manifest, counts = score_recording(tmp_path / "rec", NewsWorkerConfig())
    rec = open_recording(tmp_path / "rec")
    scored = [r.payload for r in rec.iter_topic("news.scored")]
    assert scored and all(isinstance(s, NewsScored) and s.instrument == "AAPL.XNAS" for s in scored)
    assert len(list(rec.iter_topic("md.bars"))) == n_bars and len(list(rec.iter_topic("news.raw"))) == n_news
    assert counts["received"] == n_news and counts["published"] == len(scored)
    assert all(-1.0 <= s.sentiment <= 1.0 and s.scorer.startswith("sentiment@") and s.news_id for s in scored)
    rec.verify()


def test_scoring_is_deterministic_and_replaces_an_earlier_score(tmp_path):
    _recording(tmp_path / "rec", n_tweets=120)
    first, _ = score_recording(tmp_path / "rec", NewsWorkerConfig())
    again, _ = score_recording(tmp_path / "rec", NewsWorkerConfig())
    assert first.content_hash == again.content_hash


def test_cli_prints_the_counts(tmp_path):
    _recording(tmp_path / "rec", n_tweets=50)
    result = CliRunner().invoke(news_app, [str(tmp_path / "rec"), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "published" in result.output and (tmp_path / "out" / "manifest.json").exists()
