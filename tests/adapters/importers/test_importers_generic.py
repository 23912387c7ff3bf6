"""``ohlcv-csv`` and ``fxcm-bars`` on the real files in ../shared/data, and their edge cases."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.importers import import_files
from adapters.importers.errors import UnreadableFileError
from adapters.recorded import open_recording

INTRADAY = Path(__file__).resolve().parents[4] / "shared" / "data" / "nautilus_intraday"
CME = INTRADAY / "6EH4.XCME_1min_bars_20240101_20240131.csv.gz"
FXCM_BID = INTRADAY / "fxcm_gbpusd-m1-bid-2012.csv"
FXCM_ASK = INTRADAY / "fxcm_gbpusd-m1-ask-2012.csv"


def _bars(path: Path) -> list:
    return [r.payload for r in open_recording(path).iter_topic("md.bars")]


def test_cme_6e_gzip_imports_as_a_future_on_xcme(tmp_path: Path) -> None:
    report = import_files("ohlcv-csv", [CME], tmp_path / "rec")

    assert report.rejects == ()
    (spec,) = report.manifest.instruments
    assert (spec.instrument_id, spec.kind, spec.base_currency, spec.quote_currency, spec.bucket) == (
        "6EH4.XCME", "future", "EUR", "USD", "fno",
    )  # fmt: skip
    assert spec.bar_interval_s == 60 and spec.price_precision == 5
    bars = _bars(tmp_path / "rec")
    assert len(bars) == 29_996
    # first row: 2024-01-01 23:01:00 open time, 1.1076,1.10785,1.1076,1.1078,205 -> closes 23:02
    assert (bars[0].open, bars[0].high, bars[0].close, bars[0].volume) == (1.1076, 1.10785, 1.1078, 205.0)
    assert bars[0].ts_event == 1_704_150_120 * 1_000_000_000


def test_fxcm_bid_and_ask_make_mid_bars(tmp_path: Path) -> None:
    report = import_files("fxcm-bars", [FXCM_BID, FXCM_ASK], tmp_path / "rec")

    assert report.rejects == ()
    (spec,) = report.manifest.instruments
    assert spec.instrument_id == "GBPUSD.FXCM" and spec.kind == "fx" and spec.price_precision == 6
    bars = _bars(tmp_path / "rec")
    assert len(bars) == 30_117
    bid = FXCM_BID.read_text().splitlines()[1].split(",")
    ask = FXCM_ASK.read_text().splitlines()[1].split(",")
    assert bars[0].open == round((float(bid[1]) + float(ask[1])) / 2, 6)
    assert bars[0].low == round((float(bid[3]) + float(ask[3])) / 2, 6)


def test_fxcm_unpaired_minute_is_rejected_with_its_line(tmp_path: Path) -> None:
    header, *rows = FXCM_ASK.read_text().splitlines(keepends=True)
    ask = tmp_path / "fxcm_gbpusd-m1-ask-2012.csv"
    ask.write_text(header + "".join(rows[:10]))
    bid = tmp_path / "fxcm_gbpusd-m1-bid-2012.csv"
    bid.write_text("".join(FXCM_BID.read_text().splitlines(keepends=True)[:10]))  # one minute fewer

    report = import_files("fxcm-bars", [bid, ask], tmp_path / "rec")

    assert [(Path(r.file).name, r.line, r.reason) for r in report.rejects] == [
        ("fxcm_gbpusd-m1-ask-2012.csv", 11, "unpaired_side")
    ]
    assert report.manifest.topics[0].records == 9


def test_ohlcv_csv_columns_time_format_and_no_volume(tmp_path: Path) -> None:
    path = tmp_path / "EURUSD_daily.csv"
    path.write_text("d,o,h,l,c\n01/03/2023,1.0,1.2,0.9,1.1\n01/02/2023,1.1,1.3,1.0,1.2\n")

    report = import_files("ohlcv-csv", [path], tmp_path / "rec", options={
        "columns": "time=d,open=o,high=h,low=l,close=c", "time_format": "%m/%d/%Y"})  # fmt: skip

    assert report.rejects == () and report.out_of_order == {"EURUSD.SIM": 1}  # newest first, sorted
    (spec,) = report.manifest.instruments
    assert spec.instrument_id == "EURUSD.SIM" and spec.kind == "fx" and spec.bar_interval_s == 86_400
    assert [b.volume for b in _bars(tmp_path / "rec")] == [0.0, 0.0]
    assert "no volume column" in report.manifest.notes


def test_ohlcv_csv_unknown_column_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "AAA.csv"
    path.write_text("when,o,h,l,c\n2023-01-01,1,1,1,1\n")
    with pytest.raises(UnreadableFileError, match="no column 'time'"):
        import_files("ohlcv-csv", [path], tmp_path / "rec")
