"""``histdata-quotes`` and ``truefx-quotes``: FX top-of-book tick files into ``md.quotes``.

* HistData ASCII ticks, no header: ``YYYYMMDD HHMMSSmmm,bid,ask,volume``. HistData stamps its data in
  EST *without* daylight saving (fixed UTC-5), so 5 hours are added to get UTC (the sample's 17:00 is
  the 17:00 New York FX open, 22:00 UTC).
* TrueFX ticks: ``timestamp,bid,ask`` with ISO timestamps (the NautilusTrader test-data layout), or the
  raw TrueFX layout ``PAIR,YYYYMMDD HH:MM:SS.fff,bid,ask`` in UTC; the header is optional.

The pair comes from ``--symbol`` or the file name (``histdata_eurusd_...`` -> ``EURUSD``). HistData and
TrueFX are data vendors, not venues, so the default venue is ``SIM`` (the simulated venue a replay
trades on); pass ``--venue IDEALPRO`` for Interactive Brokers ids. Kind ``fx``; price precision is the
most decimals seen. Sizes are not in the files and stay at the schema default 1.0.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from adapters.importers.common import (
    ImportContext,
    clean_symbol,
    datetime_to_ns,
    expect_fields,
    fx_pair_from_name,
    is_header,
    is_missing,
    iter_rows,
    parse_number,
)
from adapters.importers.errors import ImportRowError, SymbolInferenceError
from adapters.importers.ohlcv import FileStats
from adapters.importers.series import QuoteSeries

DEFAULT_VENUE = "SIM"
HISTDATA_TZ = timezone(timedelta(hours=-5), "EST")


def _series(path: Path, ctx: ImportContext, pair: str | None = None) -> QuoteSeries:
    symbol = clean_symbol(ctx.symbol or pair or fx_pair_from_name(path) or "")
    if len(symbol) != 6:
        raise SymbolInferenceError(f"no 6-letter FX pair in file name {path.name!r}; pass --symbol EURUSD")
    instrument_id = f"{symbol}.{(ctx.venue or DEFAULT_VENUE).upper()}"
    series = ctx.builders.get(instrument_id)
    if series is None:
        fields = {"kind": "fx", "base_currency": symbol[:3], "quote_currency": symbol[3:]}
        series = QuoteSeries(instrument_id, fields)
        ctx.builders[instrument_id] = series
    assert isinstance(series, QuoteSeries)
    return series


def parse_histdata_time(text: str) -> int:
    """``20200101 170000065`` (EST, UTC-5, no DST) -> UTC ns.

    Raises
    ------
    ImportRowError
        ``missing_value`` or ``unparseable_time``.
    """
    if is_missing(text):
        raise ImportRowError("missing_value", "time is empty")
    try:
        moment = datetime.strptime(text.strip(), "%Y%m%d %H%M%S%f")
    except ValueError:
        raise ImportRowError("unparseable_time", f"time={text!r}") from None
    return datetime_to_ns(moment.replace(tzinfo=HISTDATA_TZ))


def _add(series: QuoteSeries, ts: int, bid_text: str, ask_text: str) -> None:
    bid, ask = parse_number(bid_text, "bid"), parse_number(ask_text, "ask")
    series.add(ts, bid, ask, [bid_text, ask_text])


def read_histdata(path: Path, ctx: ImportContext) -> FileStats:
    """Import one HistData tick file into ``ctx``."""
    series = _series(path, ctx)
    ctx.note("histdata-quotes: times converted from EST (UTC-5, no DST) to UTC")
    rows = accepted = 0
    for row in iter_rows(path, ctx.progress):
        rows += 1
        try:
            expect_fields(row, 3, 4)
            _add(series, ctx.window.check(parse_histdata_time(row.fields[0])), row.fields[1], row.fields[2])
            accepted += 1
        except ImportRowError as error:
            ctx.reject(path, row.line, error, row.raw)
    return FileStats(path, rows, accepted)


def _truefx_raw_time(text: str) -> int:
    try:
        return datetime_to_ns(datetime.strptime(text.strip(), "%Y%m%d %H:%M:%S.%f").replace(tzinfo=UTC))
    except ValueError:
        raise ImportRowError("unparseable_time", f"time={text!r}") from None


def read_truefx(path: Path, ctx: ImportContext) -> FileStats:
    """Import one TrueFX tick file into ``ctx`` (either layout, see the module docstring)."""
    rows = accepted = 0
    series: QuoteSeries | None = None
    for index, row in enumerate(iter_rows(path, ctx.progress)):
        if index == 0 and is_header(row):
            continue
        raw_layout = "/" in row.fields[0]
        if series is None:
            series = _series(path, ctx, row.fields[0] if raw_layout else None)
        rows += 1
        try:
            if raw_layout:
                expect_fields(row, 4, 4)
                _add(series, ctx.window.check(_truefx_raw_time(row.fields[1])), row.fields[2], row.fields[3])
            else:
                expect_fields(row, 3, 3)
                _add(series, ctx.times(path).parse(row.fields[0]), row.fields[1], row.fields[2])
            accepted += 1
        except ImportRowError as error:
            ctx.reject(path, row.line, error, row.raw)
    return FileStats(path, rows, accepted)
