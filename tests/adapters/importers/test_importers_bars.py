"""Bar importers (binance-klines, kraken-ohlc, yahoo-daily) on real files and on hand-made bad rows."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from adapters.errors import RecordingError
from adapters.importers import IMPORTERS, import_files
from adapters.importers.errors import (
    NoValidRowsError,
    SymbolInferenceError,
    UnknownImportKindError,
    UnreadableFileError,
)
from adapters.recorded import MANIFEST_FILE, REJECTS_FILE, open_recording
from schemas.market import Bar


def ns(text: str) -> int:
    moment = datetime.fromisoformat(text).replace(tzinfo=UTC)
    return int(moment.timestamp()) * 1_000_000_000


def bars_of(path: Path) -> list[Bar]:
    return [r.payload for r in open_recording(path).iter_topic("md.bars")]  # type: ignore[misc]


def test_registry_has_every_kind() -> None:
    assert set(IMPORTERS) == {
        "binance-klines", "kraken-ohlc", "yahoo-daily", "benzinga-news", "histdata-quotes", "truefx-quotes",
        "ohlcv-csv", "fxcm-bars", "stocknet-tweets",
    }  # fmt: skip


def test_binance_btcusdt_real_file(tmp_path: Path, btcusdt_csv: Path) -> None:
    report = import_files("binance-klines", [btcusdt_csv], tmp_path / "rec")

    assert report.rejects == () and report.manifest.rejects == 0
    assert not (tmp_path / "rec" / REJECTS_FILE).exists()
    assert [(t.topic, t.records) for t in report.manifest.topics] == [("md.bars", 30_240)]
    (spec,) = report.manifest.instruments
    assert (spec.instrument_id, spec.kind, spec.base_currency, spec.quote_currency) == (
        "BTCUSDT.BINANCE", "crypto_spot", "BTC", "USDT",
    )  # fmt: skip
    assert (spec.price_precision, spec.size_precision, spec.bar_interval_s) == (2, 6, 60)
    bars = bars_of(tmp_path / "rec")
    first = bars[0]
    assert first.ts_event == ns("2023-03-01T00:01:00")  # close = open + 60 s
    assert (first.open, first.high, first.low, first.close, first.volume) == (
        23140.48, 23150.77, 23128.52, 23142.31, 2.131777,
    )  # fmt: skip
    assert bars[-1].ts_event == ns("2023-03-22T00:00:00")
    assert report.manifest.start_ns == first.ts_event and report.manifest.end_ns == bars[-1].ts_event
    open_recording(tmp_path / "rec").verify()


def test_binance_two_files_make_one_recording_with_two_instruments(
    tmp_path: Path, btcusdt_csv: Path, btcusdc_csv: Path
) -> None:
    report = import_files("binance-klines", [btcusdt_csv, btcusdc_csv], tmp_path / "rec", venue="binanceus")

    ids = [s.instrument_id for s in report.manifest.instruments]
    assert ids == ["BTCUSDC.BINANCEUS", "BTCUSDT.BINANCEUS"]
    assert report.manifest.topics[0].records == 60_480
    merged = list(open_recording(tmp_path / "rec").iter_all())
    assert [r.key for r in merged[:2]] == ["BTCUSDC.BINANCEUS", "BTCUSDT.BINANCEUS"]


def test_bad_rows_are_rejected_with_line_and_reason_and_the_rest_imported(
    tmp_path: Path,
    bad_klines_csv: Path,
    bad_klines_expected: dict[int, str],
    bad_klines_good_lines: tuple[int, ...],
) -> None:
    report = import_files("binance-klines", [bad_klines_csv], tmp_path / "rec")

    assert {r.line: r.reason for r in report.rejects} == bad_klines_expected
    assert report.manifest.rejects == len(bad_klines_expected)
    written = [json.loads(line) for line in (tmp_path / "rec" / REJECTS_FILE).read_text().splitlines()]
    assert [(w["line"], w["reason"]) for w in written] == sorted(bad_klines_expected.items())
    assert all(w["file"] == str(bad_klines_csv) for w in written)
    source_lines = bad_klines_csv.read_text().splitlines()
    assert all(w["raw"] == source_lines[w["line"] - 1] for w in written)
    bars = bars_of(tmp_path / "rec")
    assert len(bars) == len(bad_klines_good_lines)
    assert [b.open for b in bars] == [float(source_lines[n - 1].split(",")[1]) for n in bad_klines_good_lines]
    assert report.files[0].rows == 12 and report.files[0].accepted == 5
    (spec,) = report.manifest.instruments
    assert spec.instrument_id == "ETHUSDT.BINANCE" and spec.price_precision == 2 and spec.size_precision == 3


@pytest.mark.parametrize(
    ("unit", "scale"),
    [("s", 1), ("ms", 1_000), ("us", 1_000_000)],
)
def test_binance_without_header_and_epoch_times(tmp_path: Path, unit: str, scale: int) -> None:
    start_s = 1_677_628_800  # 2023-03-01T00:00:00Z
    rows = [
        f"{(start_s + 60 * i) * scale},{100 + i}.5,{101 + i},{99 + i},{100 + i},{i}.25,1,2,3"
        for i in range(5)
    ]
    path = tmp_path / f"BTCUSDT-1m-{unit}.csv"
    path.write_text("\n".join(rows) + "\n")

    report = import_files("binance-klines", [path], tmp_path / "rec")

    assert report.rejects == ()
    bars = bars_of(tmp_path / "rec")
    assert [b.ts_event for b in bars] == [(start_s + 60 * (i + 1)) * 1_000_000_000 for i in range(5)]
    assert bars[0].open == 100.5 and bars[4].volume == 4.25


def test_binance_interval_is_the_median_step(tmp_path: Path) -> None:
    times = [0, 300, 600, 900, 1500, 1800]  # one gap; 5-minute bars
    rows = [f"{1_677_628_800 + t},1.0,1.0,1.0,1.0,1" for t in times]
    path = tmp_path / "ETHBTC_5m.csv"
    path.write_text("\n".join(rows))

    report = import_files("binance-klines", [path], tmp_path / "rec", symbol="ETHBTC")

    assert report.manifest.instruments[0].bar_interval_s == 300
    assert report.manifest.instruments[0].quote_currency == "BTC"
    assert bars_of(tmp_path / "rec")[0].ts_event == (1_677_628_800 + 300) * 1_000_000_000


def test_symbol_option_and_inference_errors(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("1677628800,1,1,1,1,1\n")

    with pytest.raises(SymbolInferenceError, match="EXPORT"):
        import_files("binance-klines", [path], tmp_path / "a")
    report = import_files("binance-klines", [path], tmp_path / "b", symbol="sol/usdt")

    assert report.manifest.instruments[0].instrument_id == "SOLUSDT.BINANCE"
    assert report.manifest.instruments[0].base_currency == "SOL"


def test_file_with_no_valid_rows_is_an_error_and_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "BTCUSDT_1m.csv"
    path.write_text("open_time,open,high,low,close,volume\n1677628800,-1,1,1,1,1\n1677628860,x,1,1,1,1\n")

    with pytest.raises(NoValidRowsError, match="no valid rows .*non_positive_price"):
        import_files("binance-klines", [path], tmp_path / "rec")
    assert not (tmp_path / "rec").exists()


def test_missing_file_unknown_kind_and_existing_recording(tmp_path: Path, bad_klines_csv: Path) -> None:
    with pytest.raises(UnreadableFileError, match="not found"):
        import_files("binance-klines", [tmp_path / "nope.csv"], tmp_path / "rec")
    with pytest.raises(UnknownImportKindError, match="binance-klines"):
        import_files("parquet", [bad_klines_csv], tmp_path / "rec")
    import_files("binance-klines", [bad_klines_csv], tmp_path / "rec")
    with pytest.raises(RecordingError, match="already exists"):
        import_files("binance-klines", [bad_klines_csv], tmp_path / "rec")

    clean = tmp_path / "ETHUSDT_1m_clean.csv"
    clean.write_text("1677628800,1,1,1,1,1\n")
    import_files("binance-klines", [clean], tmp_path / "rec", overwrite=True)
    assert not (tmp_path / "rec" / REJECTS_FILE).exists()
    assert (tmp_path / "rec" / MANIFEST_FILE).exists()


def test_kraken_sparse_file(tmp_path: Path, kraken_csv: Path) -> None:
    report = import_files("kraken-ohlc", [kraken_csv], tmp_path / "rec")

    assert report.rejects == ()
    assert report.manifest.topics[0].records == 56_717
    (spec,) = report.manifest.instruments
    assert (spec.instrument_id, spec.quote_currency, spec.bar_interval_s) == ("BTCUSDC.KRAKEN", "USDC", 60)
    first = bars_of(tmp_path / "rec")[0]
    assert first.ts_event == (1_672_531_200 + 60) * 1_000_000_000
    assert (first.open, first.close, first.volume) == (16535.97, 16522.66, 0.01429883)
    assert "sparse" in report.manifest.notes


def test_yahoo_daily_uses_close_and_stamps_21_utc(tmp_path: Path, yahoo_dir: Path) -> None:
    report = import_files("yahoo-daily", [yahoo_dir / "AAPL.csv", yahoo_dir / "PTR.csv"], tmp_path / "rec")

    aapl, ptr = report.manifest.instruments
    assert (aapl.instrument_id, aapl.kind, aapl.quote_currency, aapl.bar_interval_s) == (
        "AAPL.SIM", "equity", "USD", 86_400,
    )  # fmt: skip
    assert aapl.sector == "Consumer Goods" and aapl.bucket == "core"
    assert [(r.file.endswith("PTR.csv"), r.line, r.reason) for r in report.rejects] == [
        (True, 962, "missing_value"),
    ]  # fmt: skip
    bars = [b for b in bars_of(tmp_path / "rec") if b.instrument == "AAPL.SIM"]
    assert len(bars) == 1_258
    assert bars[0].ts_event == ns("2012-09-04T21:00:00")
    assert (bars[0].open, bars[0].close, bars[0].volume) == (95.108574, 96.424286, 91_973_000.0)
    assert "Adj Close ignored" in report.manifest.notes


def test_yahoo_rejects_a_file_without_the_yahoo_header(tmp_path: Path) -> None:
    path = tmp_path / "XYZ.csv"
    path.write_text("when,price\n2020-01-01,1\n")

    with pytest.raises(UnreadableFileError, match="not a Yahoo daily CSV"):
        import_files("yahoo-daily", [path], tmp_path / "rec")


def test_yahoo_penny_bucket_from_median_close(tmp_path: Path) -> None:
    path = tmp_path / "PNY.csv"
    path.write_text(
        "Date,Open,High,Low,Close,Adj Close,Volume\n"
        "2020-01-02,1.10,1.20,1.00,1.15,1.15,1000\n"
        "2020-01-03,1.15,1.30,1.10,1.25,1.25,2000\n"
    )

    report = import_files("yahoo-daily", [path], tmp_path / "rec", venue="nyse")

    assert report.manifest.instruments[0].bucket == "penny"
    assert report.manifest.instruments[0].instrument_id == "PNY.NYSE"
