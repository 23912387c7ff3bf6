"""Importer edges: order, plausible times, epoch units, representable prices, gzip input."""

from __future__ import annotations

import gzip
from pathlib import Path

from adapters.importers import import_files
from adapters.recorded import open_recording

START_S = 1_677_628_800  # 2023-03-01T00:00:00Z


def _klines(rows: list[str], path: Path) -> Path:
    path.write_text("open_time,open,high,low,close,volume\n" + "".join(r + "\n" for r in rows))
    return path


def _row(i: int, scale: int = 1, price: str | None = None) -> str:
    p = price or f"{100 + i}.5"
    return f"{(START_S + 60 * i) * scale},{p},{p},{p},{p},1.25"


def test_newest_first_real_file_gives_the_same_recording(tmp_path: Path, btcusdt_csv: Path) -> None:
    header, *rows = btcusdt_csv.read_text().splitlines(keepends=True)
    reversed_csv = tmp_path / "BTCUSDT_1m_newest_first.csv"
    reversed_csv.write_text(header + "".join(reversed(rows)))

    in_order = import_files("binance-klines", [btcusdt_csv], tmp_path / "a")
    newest_first = import_files("binance-klines", [reversed_csv], tmp_path / "b")

    assert newest_first.rejects == ()
    assert newest_first.out_of_order == {"BTCUSDT.BINANCE": len(rows) - 1}
    assert newest_first.manifest.content_hash == in_order.manifest.content_hash
    assert (tmp_path / "a" / "md.bars.jsonl.gz").read_bytes() == (
        tmp_path / "b" / "md.bars.jsonl.gz"
    ).read_bytes()


def test_a_row_in_2100_is_rejected_alone(tmp_path: Path) -> None:
    rows = [_row(i) for i in range(6)]
    rows[2] = rows[2].replace(str(START_S + 120), "4107542400")  # 2100-03-01
    report = import_files("binance-klines", [_klines(rows, tmp_path / "BTCUSDT_1m.csv")], tmp_path / "rec")

    assert [(r.line, r.reason) for r in report.rejects] == [(4, "implausible_time")]
    assert report.manifest.topics[0].records == 5


def test_ms_epochs_are_read_as_ms_and_the_unit_is_reported(tmp_path: Path) -> None:
    path = _klines([_row(i, scale=1_000) for i in range(5)], tmp_path / "BTCUSDT_1m.csv")
    report = import_files("binance-klines", [path], tmp_path / "rec")

    assert report.epoch_units == {"BTCUSDT_1m.csv": "ms"}
    assert report.manifest.start_ns == (START_S + 60) * 1_000_000_000
    assert "BTCUSDT_1m.csv ms" in report.manifest.notes


def test_1970_ms_epochs_are_not_turned_into_seconds(tmp_path: Path) -> None:
    # 86,400,000 ms is 1970-01-02; read as seconds it would be 1972 - both outside the plausible window
    rows = [f"{86_400_000 + 60_000 * i},1.5,1.5,1.5,1.5,1" for i in range(3)] + [
        _row(i, 1_000) for i in range(3)
    ]
    report = import_files("binance-klines", [_klines(rows, tmp_path / "BTCUSDT_1m.csv")], tmp_path / "rec")

    assert [(r.line, r.reason) for r in report.rejects] == [(2, "implausible_time"), (3, "implausible_time"),
                                                          (4, "implausible_time")]  # fmt: skip
    assert report.epoch_units == {"BTCUSDT_1m.csv": "ms"}
    assert report.manifest.topics[0].records == 3


def test_prices_beyond_nautilus_price_max_are_rejected_at_import(tmp_path: Path) -> None:
    rows = [_row(i) for i in range(4)] + [_row(4, price="1e308")]
    report = import_files("binance-klines", [_klines(rows, tmp_path / "BTCUSDT_1m.csv")], tmp_path / "rec")

    assert [(r.line, r.reason) for r in report.rejects] == [(6, "price_out_of_range")]


def test_gzip_input_is_read_transparently(tmp_path: Path) -> None:
    plain = _klines([_row(i) for i in range(5)], tmp_path / "BTCUSDT_1m.csv")
    packed = tmp_path / "BTCUSDT_1m.csv.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))

    a = import_files("binance-klines", [plain], tmp_path / "a")
    b = import_files("binance-klines", [packed], tmp_path / "b")

    assert a.manifest.content_hash == b.manifest.content_hash
    assert open_recording(tmp_path / "b").verify().topics[0].records == 5


def test_import_memory_stays_under_three_times_the_file(tmp_path: Path, btcusdt_csv: Path) -> None:
    import tracemalloc

    tracemalloc.start()
    try:
        import_files("binance-klines", [btcusdt_csv], tmp_path / "rec")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 3 * btcusdt_csv.stat().st_size, peak / btcusdt_csv.stat().st_size


def test_duplicate_after_a_late_row_is_still_caught(tmp_path: Path) -> None:
    rows = [_row(i) for i in (0, 1, 2, 5, 3, 4, 3)]  # line 8 repeats line 6 after rows went backwards
    report = import_files("binance-klines", [_klines(rows, tmp_path / "BTCUSDT_1m.csv")], tmp_path / "rec")

    assert [(r.line, r.reason) for r in report.rejects] == [(8, "duplicate_timestamp")]
    assert report.out_of_order == {"BTCUSDT.BINANCE": 2}
