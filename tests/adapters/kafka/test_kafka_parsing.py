"""The Kafka data client's decoder: good messages become the same Nautilus objects replay builds; every
kind of bad message raises SchemaDecodeError with its topic and raw bytes (so it can be dead-lettered)."""

from __future__ import annotations

import math

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nautilus_trader.model.data import CustomData, QuoteTick, TradeTick

from adapters.kafka.parsing import InputDecoder
from adapters.nautilus_data import BarConverter
from aureus.runtime.backtest import bar_type_for
from schemas import codec
from schemas.control import PolicyUpdate
from schemas.errors import SchemaDecodeError
from schemas.market import Bar, NewsRaw, NewsScored, Quote, Trade
from schemas.recording import InstrumentSpec
from strategies.control_data import ControlData

SPEC = InstrumentSpec(
    instrument_id="BTCUSDT.BINANCE",
    kind="crypto_spot",
    base_currency="BTC",
    quote_currency="USDT",
    price_precision=2,
    size_precision=6,
)
BAR = Bar(
    instrument="BTCUSDT.BINANCE",
    interval_s=60,
    ts_event=1_677_628_860_000_000_000,
    open=23140.48,
    high=23150.77,
    low=23128.52,
    close=23142.31,
    volume=2.131777,
)


@pytest.fixture
def decoder() -> InputDecoder:
    return InputDecoder((SPEC,), [str(bar_type_for(SPEC))])


def test_bar_equals_the_replay_converter(decoder):
    got = decoder.decode("md.bars", codec.encode("md.bars", BAR))
    expected = BarConverter(bar_type_for(SPEC), SPEC)(BAR)
    assert got == expected and got.ts_init == expected.ts_init == BAR.ts_event
    assert (got.open, got.close, got.volume) == (expected.open, expected.close, expected.volume)


def test_quote_trade_news(decoder):
    q = decoder.decode(
        "md.quotes",
        codec.encode("md.quotes", Quote(instrument=SPEC.instrument_id, ts_event=5, bid=1.0, ask=1.01)),
    )
    t = decoder.decode(
        "md.trades",
        codec.encode(
            "md.trades",
            Trade(instrument=SPEC.instrument_id, ts_event=6, price=1.0, size=0.5, aggressor="BUYER"),
        ),
    )
    n = decoder.decode(
        "news.scored",
        codec.encode(
            "news.scored",
            NewsScored(source="s", ts_event=7, instrument=SPEC.instrument_id, headline="h", sentiment=-0.5),
        ),
    )
    assert isinstance(q, QuoteTick) and q.ask_price.as_double() == 1.01 and q.ts_event == 5
    assert isinstance(t, TradeTick) and t.size.as_double() == 0.5
    assert isinstance(n, CustomData) and n.data.sentiment == -0.5 and n.data.ts_event == 7


@pytest.mark.parametrize(
    ("topic", "raw", "fragment"),
    [
        ("md.bars", b"not json", "md.bars"),
        (
            "md.bars",
            codec.encode("md.bars", msgspec.structs.replace(BAR, instrument="ETHUSDT.BINANCE")),
            "not traded",
        ),
        ("md.bars", codec.encode("md.bars", msgspec.structs.replace(BAR, interval_s=300)), "interval"),
        ("md.bars", codec.encode("md.bars", msgspec.structs.replace(BAR, close=math.nan)), "md.bars"),
        ("md.bars", codec.encode("md.bars", msgspec.structs.replace(BAR, volume=-1.0)), "md.bars"),
        (
            "md.trades",
            codec.encode(
                "md.trades",
                Trade(instrument=SPEC.instrument_id, ts_event=1, price=1.0, size=1.0, aggressor="X"),
            ),
            "aggressor",
        ),
        ("md.bars", b'{"type":"bar","schema_version":99}', "md.bars"),
    ],
)
def test_bad_messages_raise_with_topic_and_raw(decoder, topic, raw, fragment):
    with pytest.raises(SchemaDecodeError) as info:
        decoder.decode(topic, raw)
    assert info.value.topic == topic and info.value.raw == raw and fragment in str(info.value)


def test_control_becomes_the_strategy_control_data(decoder):
    update = PolicyUpdate(
        version="v2", ts_event=1, source="operator", deltas={"weights.short": 0.1}, reason="r"
    )
    got = decoder.decode("control", codec.encode("control", update))
    assert isinstance(got, CustomData) and isinstance(got.data, ControlData) and got.data.ts_event == 1
    assert codec.decode("control", got.data.payload.encode()) == update


def test_a_topic_without_a_converter_is_refused(decoder):
    raw = codec.encode("news.raw", NewsRaw(source="s", ts_event=1, headline="h"))
    with pytest.raises(SchemaDecodeError, match="no handler"):
        decoder.decode("news.raw", raw)


@settings(max_examples=300, deadline=None)
@given(
    raw=st.binary(max_size=200), topic=st.sampled_from(["md.bars", "md.quotes", "md.trades", "news.scored"])
)
def test_garbage_only_ever_raises_schema_decode_error(raw, topic):
    decoder = InputDecoder((SPEC,), [str(bar_type_for(SPEC))])
    try:
        decoder.decode(topic, raw)
    except SchemaDecodeError as e:
        assert e.raw == raw and e.topic == topic
