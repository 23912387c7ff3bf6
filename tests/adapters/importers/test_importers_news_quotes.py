"""News and quote importers (benzinga-news, histdata-quotes, truefx-quotes) and shared parsing helpers."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from adapters.importers import import_files
from adapters.importers.common import (
    decimals,
    fx_pair_from_name,
    parse_timestamp_ns,
    split_crypto_symbol,
    symbol_from_file_name,
)
from adapters.importers.errors import ImportRowError, SymbolInferenceError
from adapters.recorded import open_recording
from schemas.market import NewsRaw, Quote


def utc_ns(*args: int) -> int:
    moment = datetime(*args, tzinfo=UTC)
    return int(moment.timestamp()) * 1_000_000_000 + moment.microsecond * 1_000


def test_benzinga_rejects_broken_and_duplicate_rows(tmp_path: Path, benzinga_csv: Path) -> None:
    report = import_files("benzinga-news", [benzinga_csv], tmp_path / "rec")

    assert report.files[0].rows == 9_993
    broken = sorted(r.line for r in report.rejects if r.reason == "wrong_field_count")
    assert broken == [2300, 2301, 3570, 3571]
    assert Counter(r.reason for r in report.rejects) == {"wrong_field_count": 4, "duplicate_row": 33}
    assert report.manifest.rejects == 37
    assert report.manifest.instruments == ()
    assert [(t.topic, t.records) for t in report.manifest.topics] == [("news.raw", 9_956)]
    aaron = next(r for r in report.rejects if r.line == 2300)
    assert aaron.raw == "5714,Sterne Agee Provides Color on Aaron's"


def test_benzinga_headlines_are_utc_and_linked_to_the_ticker(tmp_path: Path, benzinga_csv: Path) -> None:
    import_files("benzinga-news", [benzinga_csv], tmp_path / "rec", venue="NYSE")

    news: list[NewsRaw] = [r.payload for r in open_recording(tmp_path / "rec").iter_topic("news.raw")]  # type: ignore[misc]

    friday = [n for n in news if n.headline == "Stocks That Hit 52-Week Highs On Friday"
              and n.instruments == ("A.NYSE",)]  # fmt: skip
    assert all(n.source == "benzinga" for n in friday)
    assert utc_ns(2020, 6, 5, 14, 30) in {n.ts_event for n in friday}  # line 2: 10:30 -04:00
    assert utc_ns(2020, 6, 5, 10, 30) not in {n.ts_event for n in friday}
    multi_line = [n for n in news if "Imbruvica killer" in n.headline]
    assert len(multi_line) == 1 and "\n" in multi_line[0].headline  # a quoted headline spanning lines is kept
    assert all(len(n.instruments) == 1 for n in news)
    assert [n.ts_event for n in news] == sorted(n.ts_event for n in news)


def test_histdata_quotes_are_shifted_from_est_to_utc(tmp_path: Path, histdata_csv: Path) -> None:
    report = import_files("histdata-quotes", [histdata_csv], tmp_path / "rec")

    assert report.rejects == ()
    (spec,) = report.manifest.instruments
    assert (spec.instrument_id, spec.kind, spec.base_currency, spec.quote_currency) == (
        "EURUSD.SIM", "fx", "EUR", "USD",
    )  # fmt: skip
    assert spec.price_precision == 6
    quotes: list[Quote] = [r.payload for r in open_recording(tmp_path / "rec").iter_topic("md.quotes")]  # type: ignore[misc]
    assert len(quotes) == 9_500
    assert quotes[0].ts_event == utc_ns(2020, 1, 1, 22, 0, 0, 65_000)
    assert (quotes[0].bid, quotes[0].ask) == (1.1212, 1.12172)


def test_truefx_quotes_keep_same_millisecond_updates(tmp_path: Path, truefx_csv: Path) -> None:
    report = import_files("truefx-quotes", [truefx_csv], tmp_path / "rec")

    assert report.rejects == ()
    assert report.manifest.instruments[0].instrument_id == "USDJPY.SIM"
    assert report.manifest.instruments[0].price_precision == 3
    quotes = [r.payload for r in open_recording(tmp_path / "rec").iter_topic("md.quotes")]
    assert len(quotes) == 1_000
    assert len({q.ts_event for q in quotes}) == 993
    assert quotes[0].ts_event == utc_ns(2013, 1, 1, 22, 0, 0, 295_000)


def test_quote_bad_rows(tmp_path: Path) -> None:
    path = tmp_path / "ticks_gbpusd.csv"
    path.write_text(
        "USD/JPY,20130101 22:00:00.100,86.655,86.728\n"
        "USD/JPY,20130101 22:00:00.200,86.800,86.700\n"
        "USD/JPY,20130101 22:00:00.300,86.655,86.728\n"
        "USD/JPY,20130101 22:00:00.300,86.655,86.728\n"
        "USD/JPY,20130101 22:00:00.300,86.656,86.728\n"
        "USD/JPY,20130101 22:00:00.250,86.655,86.728\n"
        "USD/JPY,20130101 22:00:00.400,0,86.728\n"
        "USD/JPY,20130101 22:00:00.500,,86.728\n"
    )

    report = import_files("truefx-quotes", [path], tmp_path / "rec")

    assert {r.line: r.reason for r in report.rejects} == {
        2: "crossed_quote",
        4: "duplicate_row",
        7: "non_positive_price",
        8: "missing_value",
    }
    assert report.manifest.instruments[0].instrument_id == "USDJPY.SIM"  # from the rows' pair
    assert report.out_of_order == {"USDJPY.SIM": 1}  # line 6 came late: sorted into place, not rejected
    quotes = [r.payload for r in open_recording(tmp_path / "rec").iter_topic("md.quotes")]
    times = [q.ts_event % 1_000_000_000 for q in quotes]
    assert times == [100_000_000, 250_000_000, 300_000_000, 300_000_000]


@pytest.mark.parametrize(
    "text",
    ["1677628800", "1677628800000", "1677628800000000", "1677628800000000000",
     "2023-03-01 00:00:00+00:00", "2023-03-01T00:00:00Z", "2023-03-01T01:00:00+01:00", "2023-03-01 00:00:00"],
)  # fmt: skip
def test_parse_timestamp_units_and_iso(text: str) -> None:
    assert parse_timestamp_ns(text) == 1_677_628_800 * 1_000_000_000


@pytest.mark.parametrize(("text", "reason"), [("", "missing_value"), ("NaN", "missing_value"),
                                              ("yesterday", "unparseable_time")])  # fmt: skip
def test_parse_timestamp_errors(text: str, reason: str) -> None:
    with pytest.raises(ImportRowError) as caught:
        parse_timestamp_ns(text)
    assert caught.value.reason == reason


def test_symbol_helpers() -> None:
    assert split_crypto_symbol("BTCUSDT") == ("BTC", "USDT")
    assert split_crypto_symbol("BTCUSD") == ("BTC", "USD")
    assert split_crypto_symbol("ETHBTC") == ("ETH", "BTC")
    assert split_crypto_symbol("DOGE/EUR") == ("DOGE", "EUR")
    with pytest.raises(SymbolInferenceError):
        split_crypto_symbol("WIDGET")
    assert symbol_from_file_name(Path("BTCUSDT-1m-2024-01.csv")) == "BTCUSDT"
    assert symbol_from_file_name(Path("kraken_BTCUSDC_1m.csv"), skip=("KRAKEN",)) == "BTCUSDC"
    assert fx_pair_from_name(Path("DAT_ASCII_EURUSD_T_202001.csv")) == "EURUSD"
    assert fx_pair_from_name(Path("ticks.csv")) is None
    assert [decimals(t) for t in ("23143.82", "0.0", "12", "1e-05", "96.448570")] == [2, 1, 0, 5, 6]
