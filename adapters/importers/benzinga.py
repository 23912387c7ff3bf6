"""``benzinga-news``: Benzinga analyst-ratings headlines (Kaggle "Massive Stock News Analysis DB").

Columns ``,title,date,stock`` (the first, unnamed, is the upstream row number). Each row becomes one
:class:`~schemas.market.NewsRaw` with source ``benzinga``, ``instruments=("TICKER.<venue>",)`` (the neutral
venue ``SIM`` unless ``--venue``: the file names no exchange) and ``ts_event`` the headline time in UTC
ns (the file's times carry -04:00 / -05:00 offsets). Rows with a wrong field count (headlines broken by
raw newlines upstream), an unparseable date or an empty title / ticker are rejected, as is an exact
repeat of an earlier row (same title, time and ticker). News has no instrument specs: the manifest lists none.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from adapters.importers.common import (
    NEUTRAL_VENUE,
    ImportContext,
    clean_symbol,
    datetime_to_ns,
    expect_fields,
    is_missing,
    iter_rows,
)
from adapters.importers.errors import ImportRowError, UnreadableFileError
from adapters.importers.ohlcv import FileStats
from schemas.market import NewsRaw
from schemas.recording import InstrumentSpec, Payload

SOURCE = "benzinga"
DEFAULT_VENUE = NEUTRAL_VENUE


class NewsCollector:
    """Accepted headlines of one source; refuses exact repeats.

    Parameters
    ----------
    key_fields
        Names of the extra values :meth:`add` receives that also make an item distinct (tweets: the user).
    """

    def __init__(self, key_fields: tuple[str, ...] = ()) -> None:
        self.key_fields = key_fields
        self.items: list[NewsRaw] = []
        self._seen: set[tuple[object, ...]] = set()

    def add(self, item: NewsRaw, extra: tuple[str, ...] = ()) -> None:
        """Keep ``item`` unless it repeats an earlier one (``duplicate_row``)."""
        key = (item.headline, item.ts_event, item.instruments, *extra)
        if key in self._seen:
            what = ", ".join(("headline", "time", "ticker", *self.key_fields))
            raise ImportRowError("duplicate_row", f"same {what} as an earlier row")
        self._seen.add(key)
        self.items.append(item)

    def finish(self) -> tuple[list[Payload], InstrumentSpec | None]:
        """Return the headlines sorted by time (stable); there is no instrument spec for news."""
        return sorted(self.items, key=lambda item: item.ts_event), None


def parse_news_time(text: str) -> int:
    """ISO time with offset (``2020-06-05 10:30:00-04:00``) to UTC ns; naive times are UTC.

    Raises
    ------
    ImportRowError
        ``missing_value`` or ``unparseable_time``.
    """
    if is_missing(text):
        raise ImportRowError("missing_value", "date is empty")
    try:
        return datetime_to_ns(datetime.fromisoformat(text.strip()))
    except ValueError:
        raise ImportRowError("unparseable_time", f"date={text!r}") from None


def read_file(path: Path, ctx: ImportContext) -> FileStats:
    """Import one Benzinga headlines file into ``ctx``."""
    collector = ctx.builders.setdefault(f"news:{SOURCE}", NewsCollector())
    assert isinstance(collector, NewsCollector)
    venue = (ctx.venue or DEFAULT_VENUE).upper()
    rows = accepted = 0
    columns: tuple[int, int, int] | None = None
    width = 0
    for row in iter_rows(path, ctx.progress):
        if columns is None:
            names = [f.strip().lower() for f in row.fields]
            if not {"title", "date", "stock"} <= set(names):
                raise UnreadableFileError(f"{path}: header {row.fields} lacks title, date, stock")
            columns, width = (names.index("title"), names.index("date"), names.index("stock")), len(names)
            continue
        rows += 1
        try:
            expect_fields(row, width, width)
            title, when, ticker = (row.fields[i] for i in columns)
            if is_missing(title):
                raise ImportRowError("missing_value", "title is empty")
            if is_missing(ticker):
                raise ImportRowError("missing_value", "stock is empty")
            instrument = f"{clean_symbol(ticker.strip())}.{venue}"
            ts = ctx.window.check(parse_news_time(when))
            collector.add(
                NewsRaw(source=SOURCE, ts_event=ts, headline=title.strip(), instruments=(instrument,))
            )
            accepted += 1
        except ImportRowError as error:
            ctx.reject(path, row.line, error, row.raw)
    return FileStats(path, rows, accepted)
