"""``yahoo-daily``: Yahoo Finance daily CSV ``Date,Open,High,Low,Close,Adj Close,Volume``.

Bars use the raw ``Close`` (not ``Adj Close``) so that open/high/low/close stay consistent with each
other; ``Adj Close`` is ignored (dividends and splits are therefore not back-adjusted). Each bar's
``ts_event`` is the session date at 21:00 UTC (the 16:00 New York close in winter; 20:00 UTC would be
the summer close, so bars stamp one hour late from March to November). Symbol from ``--symbol`` or the
file stem (``AAPL.csv``), venue ``SIM`` (neutral: the file names no exchange, and
StockNet mixes NYSE and NASDAQ listings) unless ``--venue``, kind ``equity``, quote ``USD``; a
median close under 5 USD puts the instrument in the ``penny`` bucket. The sector is read from a
``StockTable.tsv`` (StockNet layout) next to the file or its parent directory when there is one.
"""

from __future__ import annotations

import csv
import functools
from datetime import UTC, datetime, time
from pathlib import Path

from adapters.importers.common import NEUTRAL_VENUE, ImportContext, clean_symbol, datetime_to_ns
from adapters.importers.errors import ImportRowError, UnreadableFileError
from adapters.importers.ohlcv import FileStats, OhlcvLayout, read_ohlcv_file
from adapters.importers.series import BarSeries

DEFAULT_VENUE = NEUTRAL_VENUE
SESSION_CLOSE_UTC = time(21, 0)
DAY_S = 86_400
PENNY_BELOW_USD = 5.0
_COLUMNS = ("date", "open", "high", "low", "close", "volume")


def parse_session_date(text: str) -> int:
    """``2012-09-04`` -> that date at 21:00 UTC in ns.

    Raises
    ------
    ImportRowError
        ``missing_value`` or ``unparseable_time``.
    """
    text = text.strip()
    if not text:
        raise ImportRowError("missing_value", "Date is empty")
    try:
        day = datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise ImportRowError("unparseable_time", f"Date={text!r}") from None
    return datetime_to_ns(datetime.combine(day, SESSION_CLOSE_UTC, tzinfo=UTC))


def _layout(path: Path) -> OhlcvLayout:
    try:
        with path.open("r", encoding="utf-8-sig", newline="") as handle:
            header = next(csv.reader(handle), [])
    except OSError as e:
        raise UnreadableFileError(f"cannot read {path}: {e}") from e
    names = [h.strip().lower() for h in header]
    missing = [c for c in _COLUMNS if c not in names]
    if missing:
        raise UnreadableFileError(f"{path}: not a Yahoo daily CSV (header {header}, missing {missing})")
    index = [names.index(c) for c in _COLUMNS]
    return OhlcvLayout(index[0], tuple(index[1:]), min_fields=len(names), max_fields=len(names),  # type: ignore[arg-type]
                       header="required")  # fmt: skip


@functools.cache
def _sectors(table: Path) -> dict[str, str]:
    sectors: dict[str, str] = {}
    with table.open(encoding="utf-8") as handle:
        for line in handle:
            parts = line.rstrip("\n").split("\t")
            if len(parts) >= 2:
                sectors[parts[1].lstrip("$").upper()] = parts[0]
    return sectors


def sector_for(path: Path, symbol: str) -> str:
    """Sector of ``symbol`` from a nearby ``StockTable.tsv``, or ``""``."""
    for table in (path.parent / "StockTable.tsv", path.parent.parent / "StockTable.tsv"):
        if table.is_file():
            return _sectors(table.resolve()).get(symbol, "")
    return ""


def read_file(path: Path, ctx: ImportContext) -> FileStats:
    """Import one Yahoo daily file into ``ctx``."""
    if not path.is_file():
        raise UnreadableFileError(f"input file not found: {path}")
    layout = _layout(path)
    symbol = clean_symbol(ctx.symbol or path.stem)
    instrument_id = f"{symbol}.{(ctx.venue or DEFAULT_VENUE).upper()}"
    series = ctx.builders.get(instrument_id)
    if series is None:
        fields = {"kind": "equity", "base_currency": symbol, "quote_currency": "USD",
                  "sector": sector_for(path, symbol)}  # fmt: skip
        series = BarSeries(instrument_id, fields, interval_s=DAY_S, penny_below=PENNY_BELOW_USD,
                           time_is_close=True)  # fmt: skip
        ctx.builders[instrument_id] = series
    assert isinstance(series, BarSeries)
    ctx.note("yahoo-daily: OHLC from raw Close (Adj Close ignored); bars stamped at session date 21:00 UTC")
    return read_ohlcv_file(path, ctx, series, layout, parse_session_date)
