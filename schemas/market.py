"""Market and news wire types: ``md.bars``, ``md.quotes``, ``md.trades``, ``news.raw``, ``news.scored``.

Prices and sizes travel as floats; the instrument spec in the recording manifest (or the venue config)
gives the precision used when they become Nautilus objects. Times are integer nanoseconds since the Unix
epoch, UTC.
"""

from __future__ import annotations

import msgspec

SCHEMA_VERSION = 1


class Bar(msgspec.Struct, tag="bar", frozen=True, kw_only=True):
    """One OHLCV bar; ``ts_event`` is the bar's close time (open time + interval)."""

    schema_version: int = SCHEMA_VERSION
    instrument: str
    interval_s: int
    ts_event: int
    open: float
    high: float
    low: float
    close: float
    volume: float


class Quote(msgspec.Struct, tag="quote", frozen=True, kw_only=True):
    """Top of book."""

    schema_version: int = SCHEMA_VERSION
    instrument: str
    ts_event: int
    bid: float
    ask: float
    bid_size: float = 1.0
    ask_size: float = 1.0


class Trade(msgspec.Struct, tag="trade", frozen=True, kw_only=True):
    """One print."""

    schema_version: int = SCHEMA_VERSION
    instrument: str
    ts_event: int
    price: float
    size: float
    aggressor: str = "NO_AGGRESSOR"  # BUYER | SELLER | NO_AGGRESSOR
    trade_id: str = ""


class NewsRaw(msgspec.Struct, tag="news_raw", frozen=True, kw_only=True):
    """A headline as a feed delivers it, before scoring."""

    schema_version: int = SCHEMA_VERSION
    source: str
    ts_event: int
    headline: str
    instruments: tuple[str, ...] = ()
    body: str = ""
    url: str = ""


class NewsScored(msgspec.Struct, tag="news_scored", frozen=True, kw_only=True):
    """A headline after the news processor: linked to one instrument, with a sentiment in [-1, 1].

    ``news_id`` identifies the raw item (the same for each instrument it links to); ``quality`` in [0, 1] and
    ``source_tier`` (1 best) come from the source and the text; ``link`` names how the instrument was found
    (``source``, ``cashtag``, ``name``, ``ticker``) and ``weak_link`` marks links kept out of training.
    """

    schema_version: int = SCHEMA_VERSION
    source: str
    ts_event: int
    instrument: str
    headline: str
    sentiment: float
    relevance: float = 1.0
    scorer: str = ""
    news_id: str = ""
    quality: float = 1.0
    source_tier: int = 0
    link: str = ""
    weak_link: bool = False


MarketEvent = Bar | Quote | Trade
NewsEvent = NewsRaw | NewsScored
