"""Asset class decides fees and the Sharpe annualisation."""

from engine.asset_classes import fee_rates, sharpe_periods_per_year
from engine.config import load_config


def test_fee_schedule_per_asset_class() -> None:
    cfg = load_config()
    assert (fee_rates("crypto_spot", cfg).maker, fee_rates("crypto_spot", cfg).taker) == (0.0008, 0.001)
    assert fee_rates("equity", cfg).taker == 0.0005
    assert fee_rates("fx", cfg).taker == 0.0001 and fee_rates("future", cfg).maker == 0.0001
    assert fee_rates("crypto_spot", load_config(overrides=["venue.taker_fee=0.002"])).taker == 0.002


def test_sharpe_annualisation() -> None:
    assert sharpe_periods_per_year(["crypto_spot"]) == 365
    assert sharpe_periods_per_year(["equity", "equity"]) == 252
    assert sharpe_periods_per_year(["equity", "crypto_spot"]) == 365
    assert sharpe_periods_per_year(["fx", "future"]) == 252
