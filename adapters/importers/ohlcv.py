"""Reading OHLCV CSV files into a :class:`~adapters.importers.series.BarSeries` (shared by bar importers)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from adapters.importers.common import ImportContext, expect_fields, is_header, iter_rows, parse_number
from adapters.importers.errors import ImportRowError
from adapters.importers.series import BarSeries

_OHLCV = ("open", "high", "low", "close", "volume")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


@dataclass(frozen=True)
class FileStats:
    """Rows read from one file and how many were accepted."""

    path: Path
    rows: int
    accepted: int


@dataclass(frozen=True)
class OhlcvLayout:
    """Where the fields are in a row: time column, o/h/l/c/v columns (v -1: none, volume 0), field counts."""

    time_column: int
    value_columns: tuple[int, int, int, int, int]
    min_fields: int
    max_fields: int | None = None
    header: str = "optional"  # "optional" (detected), "required" (first row skipped) or "none"


def interval_from_name(path: Path) -> int | None:
    """Bar interval written in a file name (``BTCUSDT_1m_...`` -> 60, ``_1min_`` -> 60, ``-1h-`` -> 3600)."""
    match = re.search(r"(?:^|[_\-.])(\d+)(min|[smhdw])(?:[_\-.]|$)", path.stem)
    return int(match.group(1)) * _UNIT_S[match.group(2)[0]] if match else None


def read_ohlcv_file(
    path: Path,
    ctx: ImportContext,
    series: BarSeries,
    layout: OhlcvLayout,
    parse_time: Callable[[str], int],
) -> FileStats:
    """Feed every row of ``path`` to ``series``; refused rows go to ``ctx.rejects``.

    Parameters
    ----------
    path
        CSV file.
    ctx
        The import's shared context.
    series
        Builder of the file's instrument.
    layout
        Column positions and header handling.
    parse_time
        Turns the time field into the bar's *open* time in UTC nanoseconds, raising
        :class:`ImportRowError` when it cannot.

    Returns
    -------
    FileStats
        Rows seen (header excluded) and rows accepted.
    """
    rows = accepted = 0
    for index, row in enumerate(iter_rows(path, ctx.progress)):
        if index == 0 and (layout.header == "required" or (layout.header == "optional" and is_header(row))):
            continue
        rows += 1
        try:
            expect_fields(row, layout.min_fields, layout.max_fields)
            ts_open = ctx.window.check(parse_time(row.fields[layout.time_column]))
            texts = [row.fields[i] if i >= 0 else "0" for i in layout.value_columns]  # -1: no volume
            values = tuple(parse_number(t, n) for t, n in zip(texts, _OHLCV, strict=True))
            series.add(ts_open, values, texts)  # type: ignore[arg-type]
            accepted += 1
        except ImportRowError as error:
            ctx.reject(path, row.line, error, row.raw)
    return FileStats(path, rows, accepted)
