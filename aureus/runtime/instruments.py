"""Build Nautilus instruments from recording instrument specs."""

from __future__ import annotations

from decimal import Decimal

from nautilus_trader.model.identifiers import InstrumentId, Symbol
from nautilus_trader.model.instruments import CurrencyPair, Equity, Instrument
from nautilus_trader.model.objects import Currency, Price, Quantity

from engine.config import FeeRates, VenueConfig
from engine.errors import EngineError
from schemas.recording import InstrumentSpec


def _increment(precision: int) -> str:
    return "1" if precision == 0 else "0." + "0" * (precision - 1) + "1"


def build_instrument(spec: InstrumentSpec, venue: VenueConfig, fees: FeeRates | None = None) -> Instrument:
    """A Nautilus instrument for a spec: ``CurrencyPair`` for crypto/fx, ``Equity`` for equities.

    Fees are ``fees`` (the asset class's schedule, :func:`engine.asset_classes.fee_rates`) or the venue
    config's; margin is 1/leverage of notional.
    """
    maker, taker = (fees.maker, fees.taker) if fees is not None else (venue.maker_fee, venue.taker_fee)
    instrument_id = InstrumentId.from_str(spec.instrument_id)
    price_increment = Price.from_str(_increment(spec.price_precision))
    margin = Decimal(str(1.0 / venue.leverage))
    if spec.kind in ("crypto_spot", "fx", "future"):
        size_increment = Quantity.from_str(_increment(spec.size_precision))
        return CurrencyPair(
            instrument_id=instrument_id,
            raw_symbol=Symbol(instrument_id.symbol.value),
            base_currency=Currency.from_str(spec.base_currency),
            quote_currency=Currency.from_str(spec.quote_currency),
            price_precision=spec.price_precision,
            size_precision=spec.size_precision,
            price_increment=price_increment,
            size_increment=size_increment,
            lot_size=None,
            max_quantity=None,
            min_quantity=size_increment,
            max_notional=None,
            min_notional=None,
            max_price=None,
            min_price=None,
            margin_init=margin,
            margin_maint=margin / 2,
            maker_fee=Decimal(str(maker)),
            taker_fee=Decimal(str(taker)),
            ts_event=0,
            ts_init=0,
        )
    if spec.kind == "equity":
        return Equity(
            instrument_id=instrument_id,
            raw_symbol=Symbol(instrument_id.symbol.value),
            currency=Currency.from_str(spec.quote_currency),
            price_precision=spec.price_precision,
            price_increment=price_increment,
            lot_size=Quantity.from_int(1),
            margin_init=margin,
            margin_maint=margin / 2,
            maker_fee=Decimal(str(maker)),
            taker_fee=Decimal(str(taker)),
            ts_event=0,
            ts_init=0,
        )
    raise EngineError(f"instrument {spec.instrument_id}: unsupported kind {spec.kind!r}")
