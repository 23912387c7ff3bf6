"""Shared machinery of the importers: row iteration with physical line numbers, field parsing, rejects.

Every importer reads its files through :func:`iter_rows`, turns each row into a payload or raises
:class:`~adapters.importers.errors.ImportRowError`, and :meth:`ImportContext.reject` records the refused
row (file, 1-based physical line number of the row's first line, reason, raw text). Nothing is dropped
silently; only completely blank lines are skipped.
"""

from __future__ import annotations

import csv
import gzip
import math
import re
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Protocol

import msgspec

from adapters.importers.errors import ImportRowError, SymbolInferenceError, UnreadableFileError
from adapters.importers.timebase import EpochTimes, TimeWindow
from schemas.recording import InstrumentSpec, Payload

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
NS_PER_S = 1_000_000_000
MAX_PRECISION = 8
#: Venue of instruments whose data file names no exchange (Yahoo, StockNet): the simulated venue a replay
#: trades on, rather than an invented exchange.
NEUTRAL_VENUE = "SIM"

ProgressCallback = Callable[[int], None]

_MISSING = {"", "nan", "null", "none", "na", "n/a", "-"}
_CRYPTO_QUOTES = ("USDT", "USDC", "BUSD", "TUSD", "FDUSD", "USD", "EUR", "BTC", "ETH", "BNB")
_FX_CURRENCIES = {
    "USD", "EUR", "JPY", "GBP", "CHF", "AUD", "CAD", "NZD", "SEK", "NOK", "DKK", "HKD", "SGD",
    "CNH", "MXN", "ZAR", "TRY", "PLN", "HUF", "CZK", "XAU", "XAG",
}  # fmt: skip


class RejectedRow(msgspec.Struct, frozen=True, kw_only=True):
    """One line of ``rejects.jsonl``: an input row an importer refused."""

    file: str
    line: int
    reason: str
    raw: str


class SeriesBuilder(Protocol):
    """Accumulates the accepted rows of one instrument (or one news source) across files."""

    def finish(self) -> tuple[Iterable[Payload], InstrumentSpec | None]:
        """The payloads in time order (may be a lazy iterator) and the spec (``None`` for news)."""
        ...


@dataclass
class ImportContext:
    """State shared by the files of one import: options, rejects and per-instrument builders.

    Parameters
    ----------
    symbol
        ``--symbol`` override, or ``None`` to infer it from the file name.
    venue
        ``--venue`` override, or ``None`` for the importer's default.
    progress
        Called with the number of characters consumed, for a progress bar.
    window
        Plausible times; rows outside are rejected as ``implausible_time``.
    options
        Kind-specific options (``ohlcv-csv``: ``columns``, ``time_format``, ``asset_class``, ``currencies``).
    """

    symbol: str | None = None
    venue: str | None = None
    progress: ProgressCallback | None = None
    window: TimeWindow = field(default_factory=TimeWindow.default)
    options: dict[str, str] = field(default_factory=dict)
    rejects: list[RejectedRow] = field(default_factory=list)
    builders: dict[str, SeriesBuilder] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    _times: dict[Path, EpochTimes] = field(default_factory=dict)

    def times(self, path: Path) -> EpochTimes:
        """The timestamp parser of one file (its epoch unit is decided on its first epoch)."""
        parser = self._times.get(path)
        if parser is None:
            parser = self._times[path] = EpochTimes(self.window)
        return parser

    def epoch_units(self) -> dict[str, str]:
        """File name -> epoch unit used, for files whose times were numeric epochs."""
        return {path.name: p.unit for path, p in self._times.items() if p.unit is not None}

    def reject(self, path: Path, line: int, error: ImportRowError, raw: str) -> None:
        """Record a refused row."""
        self.rejects.append(RejectedRow(file=str(path), line=line, reason=error.reason, raw=raw))

    def note(self, text: str) -> None:
        """Add a sentence to the manifest notes (once)."""
        if text not in self.notes:
            self.notes.append(text)


@dataclass(frozen=True)
class Row:
    """One logical CSV row: its first physical line number, raw text and fields."""

    line: int
    raw: str
    fields: list[str]


class _LineTap:
    """Iterator over a text file that remembers the physical lines the csv reader consumed."""

    def __init__(self, handle: Iterator[str], progress: ProgressCallback | None) -> None:
        self._handle = handle
        self._progress = progress
        self.lines: list[str] = []

    def __iter__(self) -> _LineTap:
        return self

    def __next__(self) -> str:
        line = next(self._handle)
        self.lines.append(line)
        if self._progress is not None:
            self._progress(len(line))
        return line


def open_text(path: Path) -> IO[str]:
    """Open a text file for the csv module; ``.gz`` files are decompressed on the fly. A BOM is dropped."""
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8-sig", newline="")
    return path.open("r", encoding="utf-8-sig", newline="")


def iter_rows(path: Path, progress: ProgressCallback | None = None) -> Iterator[Row]:
    """Yield the CSV rows of ``path`` with the physical line number where each starts.

    Quoted fields may span lines (the row then covers several physical lines). Blank lines are skipped.

    Raises
    ------
    UnreadableFileError
        The file is missing, not a regular file, or not UTF-8 text.
    """
    if not path.is_file():
        raise UnreadableFileError(f"input file not found: {path}")
    try:
        with open_text(path) as handle:
            tap = _LineTap(handle, progress)
            reader = csv.reader(tap)
            next_line = 1
            for fields in reader:
                raw = "".join(tap.lines).rstrip("\r\n")
                tap.lines.clear()
                start, next_line = next_line, reader.line_num + 1
                if fields:
                    yield Row(start, raw, fields)
    except UnicodeDecodeError as e:
        raise UnreadableFileError(f"{path} is not UTF-8 text ({e.reason} at byte {e.start})") from e
    except (gzip.BadGzipFile, EOFError, zlib.error) as e:
        raise UnreadableFileError(f"{path}: broken gzip data: {e}") from e
    except csv.Error as e:
        raise UnreadableFileError(f"{path}: CSV error near line {next_line}: {e}") from e
    except OSError as e:
        raise UnreadableFileError(f"cannot read {path}: {e}") from e


def expect_fields(row: Row, minimum: int, maximum: int | None = None) -> None:
    """Raise ``wrong_field_count`` unless the row has between ``minimum`` and ``maximum`` fields."""
    count = len(row.fields)
    if count < minimum or (maximum is not None and count > maximum):
        wanted = str(minimum) if maximum == minimum else f"{minimum}..{maximum or 'n'}"
        raise ImportRowError("wrong_field_count", f"{count} fields, expected {wanted}")


def is_missing(text: str) -> bool:
    """Whether a field is empty or a NaN / null marker."""
    return text.strip().lower() in _MISSING


def parse_number(text: str, name: str) -> float:
    """Parse a finite float field.

    Raises
    ------
    ImportRowError
        ``missing_value`` for an empty / NaN field, ``unparseable_number`` otherwise.
    """
    if is_missing(text):
        raise ImportRowError("missing_value", f"{name} is {text.strip()!r}")
    try:
        value = float(text)
    except ValueError:
        raise ImportRowError("unparseable_number", f"{name}={text!r}") from None
    if math.isnan(value):
        raise ImportRowError("missing_value", f"{name} is NaN")
    if math.isinf(value):
        raise ImportRowError("unparseable_number", f"{name} is infinite")
    return value


def decimals(text: str) -> int:
    """Number of decimal places written in a numeric field (``"23143.820"`` -> 3, ``"1e-05"`` -> 5)."""
    text = text.strip()
    if "e" in text or "E" in text:
        try:
            exponent = Decimal(text).as_tuple().exponent
        except InvalidOperation:
            return 0
        return max(0, -exponent) if isinstance(exponent, int) else 0
    dot = text.find(".")
    return 0 if dot < 0 else len(text) - dot - 1


def datetime_to_ns(moment: datetime) -> int:
    """Exact integer nanoseconds since the epoch; a naive datetime is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - EPOCH
    return (delta.days * 86_400 + delta.seconds) * NS_PER_S + delta.microseconds * 1_000


_EPOCH_RE = re.compile(r"^\d+(\.\d+)?$")


def parse_timestamp_ns(text: str, name: str = "time") -> int:
    """Parse an epoch number (unit inferred: s, ms, us or ns) or an ISO-8601 string into UTC ns.

    Epoch units by magnitude: below 1e11 seconds, below 1e14 milliseconds, below 1e17 microseconds,
    else nanoseconds. ISO strings without an offset are UTC.

    Raises
    ------
    ImportRowError
        ``missing_value`` or ``unparseable_time``.
    """
    text = text.strip()
    if is_missing(text):
        raise ImportRowError("missing_value", f"{name} is empty")
    if _EPOCH_RE.match(text):
        value = Decimal(text)
        if value < Decimal(10) ** 11:
            scale = NS_PER_S
        elif value < Decimal(10) ** 14:
            scale = 1_000_000
        elif value < Decimal(10) ** 17:
            scale = 1_000
        else:
            scale = 1
        return int(value * scale)
    try:
        return datetime_to_ns(datetime.fromisoformat(text))
    except ValueError:
        raise ImportRowError("unparseable_time", f"{name}={text!r}") from None


def is_header(row: Row) -> bool:
    """A row is a header when none of its fields parses as a number or a date."""
    for text in row.fields:
        candidate = text.strip()
        if not candidate:
            continue
        try:
            float(candidate)
            return False
        except ValueError:
            pass
        try:
            datetime.fromisoformat(candidate)
            return False
        except ValueError:
            pass
    return True


def symbol_from_file_name(path: Path, *, skip: tuple[str, ...] = ()) -> str | None:
    """First upper-case-able alphanumeric token of the file name that is not in ``skip``.

    ``BTCUSDT_1m_20230301.csv`` -> ``BTCUSDT``; ``BTCUSDT-1m-2024-01.csv`` -> ``BTCUSDT``;
    ``kraken_BTCUSDC_1m.csv`` with ``skip=("KRAKEN",)`` -> ``BTCUSDC``.
    """
    for token in re.split(r"[_\-.\s]+", path.stem):
        upper = token.upper()
        if upper and upper not in skip and re.fullmatch(r"[A-Z][A-Z0-9]{2,}", upper):
            return upper
    return None


def split_crypto_symbol(symbol: str) -> tuple[str, str]:
    """Split ``BTCUSDT`` into ``("BTC", "USDT")`` by known quote suffixes (``BTC/USDT`` also works).

    Raises
    ------
    SymbolInferenceError
        No known quote currency ends the symbol.
    """
    if "/" in symbol:
        base, quote = symbol.split("/", 1)
        return base, quote
    for quote in _CRYPTO_QUOTES:
        if symbol.endswith(quote) and len(symbol) > len(quote):
            return symbol[: -len(quote)], quote
    raise SymbolInferenceError(
        f"cannot split {symbol!r} into base and quote (known quotes: {', '.join(_CRYPTO_QUOTES)}); "
        "pass --symbol BASE/QUOTE"
    )


def fx_pair_from_name(path: Path) -> str | None:
    """Find a 6-letter currency pair (``eurusd``, ``USDJPY``) among the file name's tokens."""
    for token in re.split(r"[_\-.\s]+", path.stem):
        upper = token.upper()
        if len(upper) == 6 and upper[:3] in _FX_CURRENCIES and upper[3:] in _FX_CURRENCIES:
            return upper
    return None


def clean_symbol(symbol: str) -> str:
    """Symbol as used in an instrument id: upper case, no ``/``."""
    return symbol.replace("/", "").upper()


def capped(precision: int) -> int:
    """Precision capped to :data:`MAX_PRECISION`."""
    return min(precision, MAX_PRECISION)
