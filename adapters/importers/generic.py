"""``ohlcv-csv``: any OHLCV CSV, with columns found by header name or given with ``--columns``.

* Columns: ``--columns time=timestamp_utc,open=o,high=h,low=l,close=c[,volume=v]`` (header names or
  0-based indices). Without it the header is searched for ``time|timestamp|timestamp_utc|date|datetime|
  open_time`` and ``open``, ``high``, ``low``, ``close`` and, optionally, ``volume``. No volume column
  gives volume 0.
* Times: ``--time-format`` (a ``strptime`` pattern; naive times are UTC) or, by default, epochs (unit
  decided per file) and ISO-8601 strings. Times are bar *open* times; ``ts_event`` = open + interval.
* Instrument: a file named ``SYMBOL.VENUE_...`` (``6EH4.XCME_1min_bars_...``) gives both; otherwise
  ``--symbol`` / the file name and ``--venue`` / the neutral venue ``SIM``. The asset class is
  ``--asset-class`` or inferred (an FX pair in the name: ``fx``; a CME FX future: ``future``; a crypto
  pair: ``crypto_spot``; else ``equity``), the currencies ``--currencies BASE/QUOTE`` or inferred.
  Futures go in the ``fno`` risk bucket.
* The interval comes from the file name (``_1m_``, ``_1min_``) or the median step between rows.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from adapters.importers.common import (
    NEUTRAL_VENUE,
    ImportContext,
    clean_symbol,
    datetime_to_ns,
    fx_pair_from_name,
    iter_rows,
    split_crypto_symbol,
    symbol_from_file_name,
)
from adapters.importers.errors import ImportRowError, SymbolInferenceError, UnreadableFileError
from adapters.importers.ohlcv import FileStats, OhlcvLayout, interval_from_name, read_ohlcv_file
from adapters.importers.series import BarSeries

ASSET_CLASSES = ("crypto_spot", "equity", "fx", "future")
TIME_NAMES = ("time", "timestamp", "timestamp_utc", "date", "datetime", "open_time")
PRICE_FIELDS = ("open", "high", "low", "close")
#: CME currency futures by product code -> (base, quote): the contract is priced in USD per unit of base.
CME_FX_FUTURES = {
    "6E": ("EUR", "USD"), "6B": ("GBP", "USD"), "6J": ("JPY", "USD"), "6A": ("AUD", "USD"),
    "6C": ("CAD", "USD"), "6S": ("CHF", "USD"), "6N": ("NZD", "USD"), "6M": ("MXN", "USD"),
}  # fmt: skip
_SYMBOL_VENUE = re.compile(r"^(?P<symbol>[A-Za-z0-9]+)\.(?P<venue>[A-Za-z]{2,6})(?:[_\-]|$)")
_FUTURE_CODE = re.compile(r"^(?P<product>[0-9A-Z]{2})[FGHJKMNQUVXZ]\d{1,2}$")


def parse_columns(spec: str) -> dict[str, str]:
    """``"time=ts,open=o"`` -> ``{"time": "ts", "open": "o"}``.

    Raises
    ------
    UnreadableFileError
        A part without ``=`` or an unknown field name.
    """
    columns: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        field, sep, column = part.partition("=")
        field = field.strip().lower()
        if not sep or field not in ("time", *PRICE_FIELDS, "volume") or not column.strip():
            raise UnreadableFileError(
                f"--columns: bad part {part!r}; expected FIELD=COLUMN with FIELD in time, open, high, low, "
                "close, volume"
            )
        columns[field] = column.strip()
    return columns


def _layout(path: Path, columns: dict[str, str]) -> tuple[OhlcvLayout, bool]:
    """Column positions, and whether there is a volume column."""
    first = next(iter_rows(path), None)
    if first is None:
        raise UnreadableFileError(f"{path}: empty file")
    names = [f.strip().lower() for f in first.fields]
    wanted = dict(columns)
    if "time" not in wanted:
        wanted["time"] = next((n for n in TIME_NAMES if n in names), "")
    for field in (*PRICE_FIELDS, "volume"):
        if field not in wanted and field in names:
            wanted[field] = field
    index: dict[str, int] = {}
    for field, column in wanted.items():
        if column.isdigit():
            index[field] = int(column)
        elif column.lower() in names:
            index[field] = names.index(column.lower())
        else:
            raise UnreadableFileError(
                f"{path}: no column {column or field!r} for {field} in header {first.fields}; pass --columns"
            )
    missing = [f for f in ("time", *PRICE_FIELDS) if f not in index]
    if missing:
        raise UnreadableFileError(f"{path}: no {', '.join(missing)} column in header {first.fields}")
    has_header = any(not c.isdigit() for c in wanted.values()) or all(not _numeric(f) for f in first.fields)
    has_volume = "volume" in index
    value_columns = tuple(index[f] for f in PRICE_FIELDS) + (index["volume"] if has_volume else -1,)
    layout = OhlcvLayout(index["time"], value_columns, min_fields=max(index.values()) + 1,  # type: ignore[arg-type]
                         header="required" if has_header else "none")  # fmt: skip
    return layout, has_volume


def _numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _instrument(path: Path, ctx: ImportContext) -> tuple[str, str, dict[str, str]]:
    """(instrument id, asset class, spec fields) for a file."""
    name = path.name
    match = _SYMBOL_VENUE.match(name)
    symbol = ctx.symbol or (match.group("symbol") if match else None)
    symbol = symbol or fx_pair_from_name(path) or symbol_from_file_name(path)
    if not symbol:
        raise SymbolInferenceError(f"no symbol in file name {name!r}; pass --symbol")
    symbol = clean_symbol(symbol)
    venue = (ctx.venue or (match.group("venue") if match else None) or NEUTRAL_VENUE).upper()
    asset_class = ctx.options.get("asset_class") or _infer_class(symbol, venue)
    if asset_class not in ASSET_CLASSES:
        raise UnreadableFileError(
            f"--asset-class {asset_class!r}: expected one of {', '.join(ASSET_CLASSES)}"
        )
    base, quote = _currencies(symbol, asset_class, ctx.options.get("currencies"))
    fields = {"kind": asset_class, "base_currency": base, "quote_currency": quote}
    if asset_class == "future":
        fields["bucket"] = "fno"  # seed 001: futures and options share the F&O caps
    return f"{symbol}.{venue}", asset_class, fields


def _infer_class(symbol: str, venue: str) -> str:
    if _future_fx(symbol) is not None:
        return "future"
    if len(symbol) == 6 and fx_pair_from_name(Path(symbol)):
        return "fx"
    try:
        split_crypto_symbol(symbol)
    except SymbolInferenceError:
        return "equity"
    return "crypto_spot"


def _future_fx(symbol: str) -> tuple[str, str] | None:
    match = _FUTURE_CODE.match(symbol)
    return CME_FX_FUTURES.get(match.group("product")) if match else None


def _currencies(symbol: str, asset_class: str, given: str | None) -> tuple[str, str]:
    if given:
        base, sep, quote = given.upper().partition("/")
        if not sep or not base or not quote:
            raise UnreadableFileError(f"--currencies {given!r}: expected BASE/QUOTE, e.g. EUR/USD")
        return base, quote
    if asset_class == "fx" and len(symbol) == 6:
        return symbol[:3], symbol[3:]
    if asset_class == "future":
        pair = _future_fx(symbol)
        if pair is None:
            raise SymbolInferenceError(f"{symbol}: unknown futures product; pass --currencies BASE/QUOTE")
        return pair
    if asset_class == "crypto_spot":
        return split_crypto_symbol(symbol)
    return symbol, "USD"


def time_parser(path: Path, ctx: ImportContext) -> Callable[[str], int]:
    """The per-file time parser: ``--time-format`` (naive = UTC) or epochs / ISO strings."""
    pattern = ctx.options.get("time_format")
    if not pattern:
        times = ctx.times(path)
        return lambda text: times.parse(text)

    def parse(text: str) -> int:
        try:
            moment = datetime.strptime(text.strip(), pattern)
        except ValueError:
            raise ImportRowError("unparseable_time", f"time={text!r} does not match {pattern!r}") from None
        return datetime_to_ns(moment if moment.tzinfo else moment.replace(tzinfo=UTC))

    return parse


def read_file(path: Path, ctx: ImportContext) -> FileStats:
    """Import one OHLCV CSV file into ``ctx`` (see the module docstring)."""
    layout, has_volume = _layout(path, parse_columns(ctx.options.get("columns", "")))
    instrument_id, asset_class, fields = _instrument(path, ctx)
    series = ctx.builders.get(instrument_id)
    if series is None:
        series = BarSeries(instrument_id, fields, interval_s=interval_from_name(path))
        ctx.builders[instrument_id] = series
    assert isinstance(series, BarSeries)
    if not has_volume:
        ctx.note(f"ohlcv-csv: {path.name} has no volume column, volume 0")
    ctx.note(
        f"ohlcv-csv: {instrument_id} as {asset_class} {fields['base_currency']}/{fields['quote_currency']}"
    )
    return read_ohlcv_file(path, ctx, series, layout, time_parser(path, ctx))
