"""What an instrument's asset class decides: its fee schedule, the round-trip fee its entries must clear
and the Sharpe annualisation of a run."""

from __future__ import annotations

from collections.abc import Iterable

from engine.config import AureusConfig, FeeRates

CALENDAR_DAYS = 365
TRADING_DAYS = 252


def fee_rates(kind: str, config: AureusConfig) -> FeeRates:
    """``config.fees.<kind>``, or the venue's maker / taker fee (crypto and unlisted kinds)."""
    rates = getattr(config.fees, kind, None)
    if isinstance(rates, FeeRates):
        return rates
    return FeeRates(maker=config.venue.maker_fee, taker=config.venue.taker_fee)


def round_trip_fee(kind: str, config: AureusConfig) -> float:
    """Entry plus exit at the taker fee of ``kind`` (as its fills are charged): the fee an entry's
    take-profit and E[PnL] must clear. The replay's strategy and the simulator both gate with it."""
    return 2.0 * fee_rates(kind, config).taker


def sharpe_periods_per_year(kinds: Iterable[str]) -> int:
    """365 when any instrument trades every calendar day (crypto), else 252 trading days."""
    return CALENDAR_DAYS if "crypto_spot" in set(kinds) else TRADING_DAYS
