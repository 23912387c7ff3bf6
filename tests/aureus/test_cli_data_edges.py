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


BTC = DATA / "crypto_1m_2023-03_binanceus" / "BTCUSDT_1m_20230301_20230321.csv"
INTRADAY = DATA / "nautilus_intraday"


def _small_klines(tmp_path, name: str, edit=None):
    header, *rows = BTC.read_text().splitlines()[:301]
    if edit:
        rows = edit(rows)
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def test_newest_first_through_the_cli_gives_the_same_hash(capsys, tmp_path):
    plain = _small_klines(tmp_path, "BTCUSDT_1m_a.csv")
    newest = _small_klines(tmp_path, "BTCUSDT_1m_b.csv", lambda rows: rows[::-1])
    assert run(capsys, "data", "import", "binance-klines", str(plain), "--out", str(tmp_path / "a"))[0] == 0
    code, out, err = run(
        capsys, "data", "import", "binance-klines", str(newest), "--out", str(tmp_path / "b")
    )

    assert code == 0, err
    assert "299 rows were out of time order and were sorted" in out
    a, b = (json.loads((tmp_path / n / "manifest.json").read_text())["content_hash"] for n in "ab")
    assert a == b


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [(0, "4107542400000", "implausible_time"), (2, "1e308", "price_out_of_range")],
)
def test_one_bad_row_is_rejected_alone_through_the_cli(capsys, tmp_path, field, value, reason):
    def edit(rows):
        parts = rows[150].split(",")
        parts[field] = value
        return [*rows[:150], ",".join(parts), *rows[151:]]

    path = _small_klines(tmp_path, "BTCUSDT_1m.csv", edit)
    code, out, err = run(
        capsys, "data", "import", "binance-klines", str(path), "--out", str(tmp_path / "rec")
    )

    assert code == 0, err  # 1 of 300 rows is under the 5 % reject threshold
    assert reason in out and "152" in out  # physical line 152 (header is line 1)
    manifest = json.loads((tmp_path / "rec" / "manifest.json").read_text())
    assert manifest["topics"][0]["records"] == 299 and manifest["rejects"] == 1


def test_edited_instrument_spec_fails_verify_in_one_line(capsys, tmp_path):
    rec = tmp_path / "rec"
    assert run(capsys, "data", "import", "yahoo-daily", str(PRICES / "XOM.csv"), "--out", str(rec))[0] == 0
    manifest = rec / "manifest.json"
    manifest.write_text(manifest.read_text().replace('"bucket": "core"', '"bucket": "penny"'))

    code, _, err = run(capsys, "data", "verify", str(rec))

    assert code == 2
    assert_one_line_error(err, "content_hash mismatch")


@pytest.mark.parametrize(
    ("kind", "files", "instrument"),
    [
        ("fxcm-bars", ("fxcm_usdjpy-m1-bid-2013.csv", "fxcm_usdjpy-m1-ask-2013.csv"), "USDJPY.FXCM"),
        ("ohlcv-csv", ("6EH4.XCME_1min_bars_20240101_20240131.csv.gz",), "6EH4.XCME"),
    ],
)
def test_shipped_fxcm_and_cme_files_import(capsys, tmp_path, kind, files, instrument):
    paths = [str(INTRADAY / f) for f in files]
    code, out, err = run(capsys, "data", "import", kind, *paths, "--out", str(tmp_path / "rec"))
    assert code == 0, err
    assert instrument in out and "rejects 0" in out


def test_replay_on_fewer_bars_than_the_warm_up_says_so(capsys, tmp_path):
    path = _small_klines(tmp_path, "BTCUSDT_1m.csv", lambda rows: rows[:100])
    assert run(capsys, "data", "import", "binance-klines", str(path), "--out", str(tmp_path / "rec"))[0] == 0

    code, out, err = run(capsys, "replay", "--data", str(tmp_path / "rec"), "--out", str(tmp_path / "run"),
                         "--no-progress")  # fmt: skip

    assert code == 0, err
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    assert report["instruments_short_of_warmup"] == ["BTCUSDT.BINANCE"] and report["trades"] == 0
    assert any(a["code"] == "insufficient_warmup" for a in report["alerts"])
    assert f"{report['warmup_bars']}-bar warm-up" in out


@pytest.mark.slow
def test_kraken_sparse_minutes_are_not_a_stall_each(capsys, tmp_path):
    kraken = DATA / "crypto_1m_2023-03_binanceus" / "kraken_BTCUSDC_1m_noheader.csv"
    rows = kraken.read_text().splitlines()[:6_000]
    path = tmp_path / "kraken_BTCUSDC_1m.csv"
    path.write_text("\n".join(rows) + "\n")
    times = [int(r.split(",")[0]) for r in rows]
    long_gaps = sum(1 for a, b in zip(times, times[1:], strict=False) if b - a > 5 * 60)  # the old 5-bar rule
    assert run(capsys, "data", "import", "kraken-ohlc", str(path), "--out", str(tmp_path / "rec"))[0] == 0
    spec = json.loads((tmp_path / "rec" / "manifest.json").read_text())["instruments"][0]

    code, _, err = run(capsys, "replay", "--data", str(tmp_path / "rec"), "--out", str(tmp_path / "run"),
                       "--no-progress")  # fmt: skip

    assert code == 0, err
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    assert spec["gap_p99_s"] > 5 * 60 and long_gaps > 100
    assert report["data_stalls"] <= long_gaps // 20
    summary = report["data_stall_summary"]
    assert sum(s["stalls"] for s in summary.values()) == report["data_stalls"]
    assert not any(a["code"] == "data_stall" for a in report["alerts"])


def test_bom_is_read_and_bad_encoding_or_a_directory_is_one_line(capsys, tmp_path):
    text = "\n".join(BTC.read_text().splitlines()[:50]) + "\n"
    bom = tmp_path / "BTCUSDT_1m_bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + text.encode())
    latin = tmp_path / "BTCUSDT_1m_latin.csv"
    latin.write_bytes(text.replace("open_time", "open_time\xe9").encode("latin-1"))

    ok = run(capsys, "data", "import", "binance-klines", str(bom), "--out", str(tmp_path / "a"))
    bad = run(capsys, "data", "import", "binance-klines", str(latin), "--out", str(tmp_path / "b"))
    folder = run(capsys, "data", "import", "binance-klines", str(tmp_path), "--out", str(tmp_path / "c"))

    assert ok[0] == 0 and "rejects 0" in ok[1]
    assert bad[0] == 2
    assert_one_line_error(bad[2], str(latin), "not UTF-8")
    assert folder[0] == 2
    assert_one_line_error(folder[2], "is a directory", str(tmp_path))
    assert not (tmp_path / "b").exists() and not (tmp_path / "c").exists()
