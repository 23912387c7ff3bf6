"""Consumed Kafka messages -> Nautilus data: decode with :mod:`schemas.codec`, then convert.

Everything that can be wrong with one message (bytes that do not decode, an instrument this node does
not trade, a bar of the wrong interval, a value Nautilus refuses) raises
:class:`~schemas.errors.SchemaDecodeError` carrying the topic and the raw bytes, so the client can send
the message to ``dlq.<topic>`` and go on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec
from nautilus_trader.core.data import Data
from nautilus_trader.model.data import Bar as NautilusBar
from nautilus_trader.model.data import BarType, CustomData, QuoteTick, TradeTick
from nautilus_trader.model.enums import AggressorSide
from nautilus_trader.model.identifiers import InstrumentId, TradeId
from nautilus_trader.model.objects import Price, Quantity

from adapters.nautilus_data import news_to_custom_data, to_nautilus_bar
from schemas import codec, topics
from schemas.errors import SchemaDecodeError
from schemas.market import Bar, NewsScored, Quote, Trade
from schemas.recording import InstrumentSpec
from strategies.control_data import CONTROL_DATA_TYPE, ControlData
from strategies.news_data import NEWS_DATA_TYPE, ScoredNewsData

_SPECS = msgspec.json.Decoder(tuple[InstrumentSpec, ...])

SUPPORTED_TOPICS = frozenset(
    {topics.MD_BARS, topics.MD_QUOTES, topics.MD_TRADES, topics.NEWS_SCORED, topics.CONTROL}
)
"""Input topics the data client can turn into Nautilus data."""

Converter = Callable[[Any], Data]
"""Turns one decoded wire message into the Nautilus object the node receives."""


def decode_specs(instruments_json: str) -> tuple[InstrumentSpec, ...]:
    """Instrument specs from their JSON list (as carried by the client config)."""
    return _SPECS.decode(instruments_json)


class _Instrument:
    __slots__ = ("bar_type", "instrument_id", "interval_s", "price_precision", "size_precision")

    def __init__(self, spec: InstrumentSpec, bar_type: BarType | None) -> None:
        self.instrument_id = InstrumentId.from_str(spec.instrument_id)
        self.bar_type = bar_type
        self.interval_s = spec.bar_interval_s
        self.price_precision = spec.price_precision
        self.size_precision = spec.size_precision


class InputDecoder:
    """Decodes messages of the input topics into Nautilus data for a fixed set of instruments.

    Parameters
    ----------
    specs : tuple of InstrumentSpec
        The instruments this node trades (their precisions build prices and sizes).
    bar_types : sequence of str
        The Nautilus bar type of each instrument's bars.

    Notes
    -----
    Bars carry ``ts_event = ts_init = bar close time``, exactly as replay feeds them, so a strategy sees
    the same objects live and in replay. Further topics (``control``) get a converter with
    :meth:`register` (it replaces a built-in one); a topic without one is refused, never dropped.
    """

    def __init__(self, specs: tuple[InstrumentSpec, ...], bar_types: tuple[str, ...] | list[str]) -> None:
        by_instrument = {BarType.from_str(b).instrument_id.value: BarType.from_str(b) for b in bar_types}
        self._instruments = {
            s.instrument_id: _Instrument(s, by_instrument.get(s.instrument_id)) for s in specs
        }
        self._converters: dict[str, Converter] = {
            topics.MD_BARS: self._bar,
            topics.MD_QUOTES: self._quote,
            topics.MD_TRADES: self._trade,
            topics.NEWS_SCORED: self._news,
            topics.CONTROL: self._control,
        }

    def register(self, topic: str, converter: Converter) -> None:
        """Convert messages of ``topic`` with ``converter`` (``control`` -> the strategy's control data)."""
        topics.value_type(topic)
        self._converters[topic] = converter

    def handles(self, topic: str) -> bool:
        """Whether messages of ``topic`` have a converter."""
        return topic in self._converters

    def decode(self, topic: str, raw: bytes) -> Data:
        """Decode and convert one message of ``topic`` (unprefixed).

        Raises
        ------
        SchemaDecodeError
            The message cannot become Nautilus data; carries ``topic`` and ``raw``.
        """
        message = codec.decode(topic, raw)
        converter = self._converters.get(topic)
        if converter is None:
            raise SchemaDecodeError(f"{topic}: this node has no handler for the topic", topic=topic, raw=raw)
        try:
            return converter(message)
        except SchemaDecodeError as e:
            raise SchemaDecodeError(str(e), topic=topic, raw=raw) from e
        except (ValueError, TypeError, OverflowError) as e:  # Nautilus refuses the values (NaN, negative)
            raise SchemaDecodeError(f"{topic}: {e}", topic=topic, raw=raw) from e

    def _instrument(self, instrument: str) -> _Instrument:
        found = self._instruments.get(instrument)
        if found is None:
            raise SchemaDecodeError(
                f"instrument {instrument!r} is not traded by this node - at `$.instrument`"
            )
        return found

    def _bar(self, bar: Bar) -> NautilusBar:
        inst = self._instrument(bar.instrument)
        if inst.bar_type is None:
            raise SchemaDecodeError(f"no bar type configured for {bar.instrument} - at `$.instrument`")
        if bar.interval_s != inst.interval_s:
            raise SchemaDecodeError(
                f"bar interval {bar.interval_s}s, the node trades {inst.interval_s}s bars - at `$.interval_s`"
            )
        return to_nautilus_bar(inst.bar_type, bar, inst.price_precision, inst.size_precision)

    def _quote(self, quote: Quote) -> QuoteTick:
        inst = self._instrument(quote.instrument)
        p, s = inst.price_precision, inst.size_precision
        return QuoteTick(
            inst.instrument_id,
            Price(quote.bid, p),
            Price(quote.ask, p),
            Quantity(quote.bid_size, s),
            Quantity(quote.ask_size, s),
            quote.ts_event,
            quote.ts_event,
        )

    def _trade(self, trade: Trade) -> TradeTick:
        inst = self._instrument(trade.instrument)
        try:
            side = AggressorSide[trade.aggressor]
        except KeyError:
            raise SchemaDecodeError(f"unknown aggressor {trade.aggressor!r} - at `$.aggressor`") from None
        return TradeTick(
            inst.instrument_id,
            Price(trade.price, inst.price_precision),
            Quantity(trade.size, inst.size_precision),
            side,
            TradeId(trade.trade_id or str(trade.ts_event)),
            trade.ts_event,
            trade.ts_event,
        )

    def _news(self, news: NewsScored) -> CustomData:
        # news of an instrument this node does not trade still reaches the strategy, which counts it
        return news_to_custom_data(news, NEWS_DATA_TYPE, ScoredNewsData)  # as replay: news_id included

    def _control(self, message) -> CustomData:
        # validated here (a bad one goes to dlq.control); the strategy decodes the payload again to apply it
        return CustomData(
            CONTROL_DATA_TYPE,
            ControlData(
                ts_event=message.ts_event,
                ts_init=message.ts_event,
                payload=codec.encode(topics.CONTROL, message).decode(),
            ),
        )
