"""Assemble a Nautilus ``BacktestEngine`` for a set of instruments: one simulated margin venue per venue."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from nautilus_trader.backtest.engine import BacktestEngine, BacktestEngineConfig
from nautilus_trader.config import LoggingConfig, PortfolioConfig
from nautilus_trader.model.currencies import Currency
from nautilus_trader.model.data import BarType
from nautilus_trader.model.enums import AccountType, OmsType
from nautilus_trader.model.identifiers import TraderId, Venue
from nautilus_trader.model.objects import Money

from aureus.runtime.instruments import build_instrument
from aureus.runtime.risk_engine import risk_engine_config
from engine.asset_classes import fee_rates
from engine.config import AureusConfig
from engine.errors import EngineError
from schemas.recording import InstrumentSpec

TRADER_ID = "AUREUS-001"


def bar_type_for(spec: InstrumentSpec) -> BarType:
    """External bar type of a recorded instrument, e.g. ``BTCUSDT.BINANCE-1-MINUTE-LAST-EXTERNAL``."""
    seconds = spec.bar_interval_s
    if seconds % 86_400 == 0:
        step, unit = seconds // 86_400, "DAY"
    elif seconds % 3_600 == 0:
        step, unit = seconds // 3_600, "HOUR"
    elif seconds % 60 == 0:
        step, unit = seconds // 60, "MINUTE"
    else:
        step, unit = seconds, "SECOND"
    return BarType.from_str(f"{spec.instrument_id}-{step}-{unit}-LAST-EXTERNAL")


def venue_currencies(specs: tuple[InstrumentSpec, ...]) -> dict[str, str]:
    """Settlement currency per venue. A venue whose instruments quote in several currencies is refused:
    converting NAV between them (e.g. USDT vs USDC during a de-peg) would need a rate we do not have."""
    by_venue: dict[str, set[str]] = defaultdict(set)
    for spec in specs:
        by_venue[spec.instrument_id.rsplit(".", 1)[1]].add(spec.quote_currency)
    for venue, currencies in by_venue.items():
        if len(currencies) > 1:
            raise EngineError(
                f"venue {venue} has instruments quoted in {sorted(currencies)}; replay keeps one account per "
                "venue in one currency: replay these instruments separately"
            )
    currencies = {next(iter(c)) for c in by_venue.values()}
    if len(currencies) > 1:
        raise EngineError(f"instruments settle in several currencies {sorted(currencies)}; NAV needs one")
    return {venue: next(iter(c)) for venue, c in by_venue.items()}


def build_backtest_engine(config: AureusConfig, specs: tuple[InstrumentSpec, ...]) -> BacktestEngine:
    """A backtest engine with venues and instruments added; data and strategies are the caller's."""
    engine = BacktestEngine(
        BacktestEngineConfig(
            trader_id=TraderId(TRADER_ID),
            logging=LoggingConfig(log_level="ERROR"),
            risk_engine=risk_engine_config(config),
            # the strategy marks its own book on every timestamp (NAV, exposure, kill switch); Nautilus
            # re-marking open positions on every bar as well only costs time (trades and equity identical)
            portfolio=PortfolioConfig(bar_updates=False),
        )
    )
    currencies = venue_currencies(specs)
    starting = config.venue.starting_nav / len(currencies)
    for venue, currency in sorted(currencies.items()):
        engine.add_venue(
            venue=Venue(venue),
            oms_type=OmsType.NETTING,
            account_type=AccountType.MARGIN,
            base_currency=Currency.from_str(currency),
            starting_balances=[Money(starting, Currency.from_str(currency))],
            default_leverage=Decimal(str(config.venue.leverage)),
            bar_adaptive_high_low_ordering=True,
        )
    for spec in specs:
        engine.add_instrument(build_instrument(spec, config.venue, fee_rates(spec.kind, config)))
    return engine
