"""Wire types -> Nautilus data objects (bars, scored news): one conversion for replay and the Kafka client."""

from __future__ import annotations

from nautilus_trader.model.data import Bar as NautilusBar
from nautilus_trader.model.data import BarType, CustomData
from nautilus_trader.model.objects import Price, Quantity

from schemas.market import Bar, NewsScored
from schemas.recording import InstrumentSpec


class BarConverter:
    """Builds Nautilus bars for one instrument with its precisions; one converter per instrument."""

    __slots__ = ("bar_type", "price_precision", "size_precision")

    def __init__(self, bar_type: BarType, spec: InstrumentSpec) -> None:
        self.bar_type = bar_type
        self.price_precision = spec.price_precision
        self.size_precision = spec.size_precision

    def __call__(self, bar: Bar) -> NautilusBar:
        return to_nautilus_bar(self.bar_type, bar, self.price_precision, self.size_precision)


def to_nautilus_bar(bar_type: BarType, bar: Bar, price_precision: int, size_precision: int) -> NautilusBar:
    """A wire bar as a Nautilus bar with the instrument's precisions (event and init time: its close time)."""
    p, s = price_precision, size_precision
    return NautilusBar(
        bar_type,
        Price(bar.open, p),
        Price(bar.high, p),
        Price(bar.low, p),
        Price(bar.close, p),
        Quantity(bar.volume, s),
        bar.ts_event,
        bar.ts_event,
    )


def news_to_custom_data(news: NewsScored, data_type, data_cls) -> CustomData:
    return CustomData(
        data_type,
        data_cls(
            ts_event=news.ts_event,
            ts_init=news.ts_event,
            instrument=news.instrument,
            sentiment=news.sentiment,
            relevance=news.relevance,
            news_id=news.news_id,
        ),
    )
