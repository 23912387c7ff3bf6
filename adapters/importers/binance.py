"""``binance-klines``: Binance / Binance.US kline CSVs, with or without a header.

Columns: ``open_time,open,high,low,close,volume[,...]`` (the 12-column official dumps work too: extra
columns are ignored). ``open_time`` may be epoch seconds, milliseconds, microseconds or an ISO string.
Symbol from ``--symbol`` or the file name (``BTCUSDT_1m_...``), venue ``BINANCE`` by default, kind
``crypto_spot``. Bars close at open time + interval; the interval is the median step between rows.
"""

from __future__ import annotations

from pathlib import Path

from adapters.importers.common import (
    ImportContext,
    clean_symbol,
    split_crypto_symbol,
    symbol_from_file_name,
)
from adapters.importers.errors import SymbolInferenceError
from adapters.importers.ohlcv import FileStats, OhlcvLayout, read_ohlcv_file
from adapters.importers.series import BarSeries

DEFAULT_VENUE = "BINANCE"
LAYOUT = OhlcvLayout(time_column=0, value_columns=(1, 2, 3, 4, 5), min_fields=6)


def crypto_series(path: Path, ctx: ImportContext, *, default_venue: str, skip: tuple[str, ...] = (),
                  interval_s: int | None = None) -> BarSeries:  # fmt: skip
    """The :class:`BarSeries` of the crypto pair a file holds (created on first use)."""
    raw_symbol = ctx.symbol or symbol_from_file_name(path, skip=skip)
    if raw_symbol is None:
        raise SymbolInferenceError(f"no symbol in file name {path.name!r}; pass --symbol")
    base, quote = split_crypto_symbol(raw_symbol.upper())
    instrument_id = f"{clean_symbol(raw_symbol)}.{(ctx.venue or default_venue).upper()}"
    series = ctx.builders.get(instrument_id)
    if series is None:
        fields = {"kind": "crypto_spot", "base_currency": base, "quote_currency": quote}
        series = BarSeries(instrument_id, fields, interval_s=interval_s)
        ctx.builders[instrument_id] = series
    assert isinstance(series, BarSeries)
    return series


def read_file(path: Path, ctx: ImportContext) -> FileStats:
    """Import one kline file into ``ctx`` (see the module docstring)."""
    series = crypto_series(path, ctx, default_venue=DEFAULT_VENUE)
    times = ctx.times(path)
    return read_ohlcv_file(path, ctx, series, LAYOUT, lambda text: times.parse(text, "open_time"))
