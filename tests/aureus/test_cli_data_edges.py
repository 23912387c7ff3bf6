"""Data edges through the real entry point: quotes -> bars -> replay; news onto bars -> replay counts it."""

from __future__ import annotations

import json

import pytest
from test_cli_errors import assert_one_line_error, run

from aureus.paths import REPO_ROOT

DATA = REPO_ROOT.parent / "shared" / "data"
HISTDATA = DATA / "nautilus_intraday" / "histdata_eurusd_quote_ticks_20200101.csv"
PRICES = DATA / "stocknet_daily_88" / "price_raw"
TWEETS = DATA / "stocknet_tweets" / "stocknet_tweets_preprocessed.jsonl.gz"


def test_bars_needs_quotes_or_trades(capsys, tmp_path):
    rec = tmp_path / "rec"
    code, _, err = run(capsys, "data", "import", "yahoo-daily", str(PRICES / "AAPL.csv"), "--out", str(rec))
    assert code == 0, err
    before = (rec / "manifest.json").read_bytes()
    code, _, err = run(capsys, "data", "bars", str(rec), "--interval", "1m")
    assert code == 2
    assert_one_line_error(err, "nothing to aggregate")
    assert (rec / "manifest.json").read_bytes() == before


def test_ohlcv_options_only_for_ohlcv_csv(capsys, tmp_path):
    code, _, err = run(capsys, "data", "import", "yahoo-daily", str(PRICES / "AAPL.csv"), "--out",
                       str(tmp_path / "rec"), "--columns", "time=Date")  # fmt: skip
    assert code == 2
    assert_one_line_error(err, "--columns only apply to ohlcv-csv")
    assert not (tmp_path / "rec").exists()


@pytest.mark.slow
def test_histdata_quotes_aggregate_into_bars_and_replay(capsys, tmp_path):
    rec, out = tmp_path / "rec", tmp_path / "run"
    assert run(capsys, "data", "import", "histdata-quotes", str(HISTDATA), "--out", str(rec))[0] == 0
    code, stdout, err = run(capsys, "data", "bars", str(rec), "--interval", "1m")
    assert code == 0, err
    assert "md.bars" in stdout and "md.quotes" in stdout

    code, _, err = run(capsys, "replay", "--data", str(rec), "--out", str(out), "--no-progress")

    assert code == 0, err
    report = json.loads((out / "report.json").read_text())
    assert report["instruments"] == ["EURUSD.SIM"]
    assert report["bars"] == 361  # 22:00-04:00 UTC of 2020-01-01/02, minutes with at least one quote


@pytest.mark.slow
def test_stocknet_tweets_onto_stocknet_bars_replay_counts_news_raw(capsys, tmp_path):
    rec, out = tmp_path / "rec", tmp_path / "run"
    files = [str(PRICES / f"{t}.csv") for t in ("AAPL", "XOM")]
    assert run(capsys, "data", "import", "yahoo-daily", *files, "--out", str(rec))[0] == 0
    code, _, err = run(capsys, "data", "import", "stocknet-tweets", str(TWEETS), "--add", "--out", str(rec))
    assert code == 0, err
    manifest = json.loads((rec / "manifest.json").read_text())
    news = next(t["records"] for t in manifest["topics"] if t["topic"] == "news.raw")

    code, _, err = run(capsys, "replay", "--data", str(rec), "--out", str(out), "--no-progress")

    assert code == 0, err
    report = json.loads((out / "report.json").read_text())
    assert report["events"] == report["bars"] + news
    assert any("news.raw" in a["message"] and str(news) in a["message"] for a in report["alerts"])
