"""The Nautilus risk engine config of any node or backtest Aureus builds (config that reaches its target)."""

from __future__ import annotations

from nautilus_trader.config import RiskEngineConfig

from engine.config import AureusConfig


def risk_engine_config(config: AureusConfig) -> RiskEngineConfig:
    """The Nautilus risk engine config of a node or backtest: ``risk.order_rate`` reaches its submit limit.

    Orders over the limit are denied, not queued (flatten orders too): the strategy's own budget keeps
    ``flatten_reserve_pct`` of it free and retries a denied close.
    """
    rate = f"{config.risk.order_rate.max_submit_per_s}/00:00:01"
    return RiskEngineConfig(bypass=False, max_order_submit_rate=rate, max_order_modify_rate=rate)
