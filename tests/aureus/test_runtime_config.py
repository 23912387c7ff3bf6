"""Config that reaches its target: risk.order_rate becomes the Nautilus risk engine's submit limit."""

from aureus.runtime.backtest import build_backtest_engine
from aureus.runtime.risk_engine import risk_engine_config
from engine.config import load_config
from schemas.recording import InstrumentSpec


def test_order_rate_config_reaches_the_risk_engine():
    cfg = load_config(overrides=["risk.order_rate.max_submit_per_s=7"])
    spec = InstrumentSpec(
        instrument_id="BTCUSDT.BINANCE",
        kind="crypto_spot",
        base_currency="BTC",
        quote_currency="USDT",
        price_precision=2,
        size_precision=6,
        bar_interval_s=60,
    )

    engine = build_backtest_engine(cfg, (spec,))

    assert risk_engine_config(cfg).max_order_submit_rate == "7/00:00:01"
    limit, interval = engine.kernel.risk_engine.max_order_submit_rate()
    assert limit == 7 and interval.total_seconds() == 1.0
