"""``stocknet-tweets``: the StockNet tweets (``../shared/data/stocknet_tweets``) into ``news.raw``.

One JSON object per line (the file may be gzip-compressed): ``ticker``, ``created_at`` (Twitter's
``Wed Jan 01 03:59:03 +0000 2014``), ``text`` (StockNet's preprocessed, lower-cased tokens),
``user_id_str``, ``file_date``. Each becomes a :class:`~schemas.market.NewsRaw` with source ``stocknet``,
``instruments=("TICKER.<venue>",)`` and ``ts_event`` the tweet time in UTC ns. The tweets cover the same 88
stocks and years as the StockNet prices (``yahoo-daily`` on ``stocknet_daily_88``), under the same neutral
venue by default, so ``aureus data import stocknet-tweets ... --add --out REC`` joins them onto those bars.
A line that is not such an object is rejected with its line number; so is an exact repeat (same ticker,
time, user and text).
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import msgspec

from adapters.importers.benzinga import NewsCollector
from adapters.importers.common import NEUTRAL_VENUE, ImportContext, clean_symbol, datetime_to_ns
from adapters.importers.errors import ImportRowError, UnreadableFileError
from adapters.importers.ohlcv import FileStats
from schemas.market import NewsRaw

SOURCE = "stocknet"
TWITTER_TIME = "%a %b %d %H:%M:%S %z %Y"


class Tweet(msgspec.Struct, frozen=True):
    """The fields of one StockNet tweet line that the importer uses (others are ignored)."""

    ticker: str
    created_at: str
    text: str
    user_id_str: str = ""


_DECODER = msgspec.json.Decoder(Tweet)


def _lines(path: Path, ctx: ImportContext) -> Iterator[tuple[int, bytes]]:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as handle:
            for number, line in enumerate(handle, start=1):
                if ctx.progress is not None:
                    ctx.progress(len(line))
                if line.strip():
                    yield number, line
    except (OSError, EOFError, zlib.error) as e:
        raise UnreadableFileError(f"cannot read {path}: {e}") from e


def parse_tweet_time(text: str) -> int:
    """``Wed Jan 01 03:59:03 +0000 2014`` -> UTC ns.

    Raises
    ------
    ImportRowError
        ``unparseable_time``.
    """
    try:
        return datetime_to_ns(datetime.strptime(text.strip(), TWITTER_TIME))
    except ValueError:
        raise ImportRowError("unparseable_time", f"created_at={text!r}") from None


def read_file(path: Path, ctx: ImportContext) -> FileStats:
    """Import one StockNet tweets JSONL file into ``ctx``."""
    collector = ctx.builders.setdefault(f"news:{SOURCE}", NewsCollector(key_fields=("user",)))
    assert isinstance(collector, NewsCollector)
    venue = (ctx.venue or NEUTRAL_VENUE).upper()
    rows = accepted = 0
    for number, line in _lines(path, ctx):
        rows += 1
        raw = line.decode("utf-8", errors="replace").rstrip("\r\n")
        try:
            try:
                tweet = _DECODER.decode(line)
            except msgspec.DecodeError as e:
                raise ImportRowError("invalid_json", str(e)) from None
            if not tweet.text.strip():
                raise ImportRowError("missing_value", "text is empty")
            if not tweet.ticker.strip():
                raise ImportRowError("missing_value", "ticker is empty")
            ts = ctx.window.check(parse_tweet_time(tweet.created_at))
            item = NewsRaw(source=SOURCE, ts_event=ts, headline=tweet.text.strip(),
                           instruments=(f"{clean_symbol(tweet.ticker.strip())}.{venue}",))  # fmt: skip
            collector.add(item, extra=(tweet.user_id_str,))
            accepted += 1
        except ImportRowError as error:
            ctx.reject(path, number, error, raw)
    return FileStats(path, rows, accepted)
