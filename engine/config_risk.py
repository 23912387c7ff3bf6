"""Risk config: hard caps, portfolio limits, kill switch and quarantine, penny rule, SIP, data stalls and
the order-rate budget (seed 001). Re-exported by :mod:`engine.config`, which holds the whole config."""

from __future__ import annotations

from typing import Annotated

import msgspec

from engine.config_base import _STRUCT, NonNegative, Percent


class PerNamePercents(msgspec.Struct, **_STRUCT):
    """Per-name caps in percent of NAV by risk bucket (seed 001, Per-Name Position Limits)."""

    core: Percent = 1.5
    penny: Percent = 0.4
    fno: Percent = 0.7


class BucketCapPercents(msgspec.Struct, **_STRUCT):
    """Bucket caps in percent of NAV; above 100 only with leverage (the long/short profile's 200 % gross)."""

    core: Annotated[float, msgspec.Meta(ge=0.0, le=1000.0)] = 90.0
    penny: Annotated[float, msgspec.Meta(ge=0.0, le=1000.0)] = 2.0
    fno: Annotated[float, msgspec.Meta(ge=0.0, le=1000.0)] = 5.0


class RiskCaps(msgspec.Struct, **_STRUCT):
    """Hard caps in percent of NAV (seed 001, Hard Risk Clamps). F&O counts delta-equivalent notional.

    A position that drifts above its per-name cap with the price is trimmed back to
    ``trim_buffer_pct`` percent below the cap, so exposure never exceeds a cap by more than one bar's move.
    Entries are approved up to ``entry_buffer_pct`` percent below the per-name and bucket caps, so the next
    favourable tick does not push a new position over its cap (a taker-fee trim). A drift trim fires only
    once exposure is more than ``trim_hysteresis_pct`` percent of the cap above it: 0 (the default) keeps
    the seed's hard clamp, exposure above a cap by at most one bar's move; more trades fewer trims for a
    tolerated excess of that band plus one bar's move.
    """

    per_name_pct: PerNamePercents = PerNamePercents()
    bucket_pct: BucketCapPercents = BucketCapPercents()
    trim_buffer_pct: Percent = 10.0
    entry_buffer_pct: Percent = 5.0
    trim_hysteresis_pct: Percent = 0.0


class PortfolioLimits(msgspec.Struct, **_STRUCT):
    """Portfolio-wide limits of the other risk profiles (seed 003 guardrails, seed 000 long/short).

    Zero switches a limit off. ``gross_min_pct`` is a target that is monitored, not enforced by clamping.
    """

    max_positions: Annotated[int, msgspec.Meta(ge=0)] = 0
    single_name_pct: Percent = 0.0
    top_n: Annotated[int, msgspec.Meta(ge=1)] = 5
    top_n_pct: Percent = 0.0
    sector_gross_pct: Percent = 0.0
    sector_net_pct: Percent = 0.0
    gross_max_pct: Annotated[float, msgspec.Meta(ge=0.0, le=1000.0)] = 0.0
    gross_min_pct: Annotated[float, msgspec.Meta(ge=0.0, le=1000.0)] = 0.0
    net_max_abs_pct: Percent = 0.0


class KillSwitchConfig(msgspec.Struct, **_STRUCT):
    """Daily-loss kill switch and the demo quarantine that repeated kills lead to (seed 001)."""

    daily_loss_pct: Annotated[float, msgspec.Meta(gt=0.0, le=100.0)] = 2.5
    quarantine_kill_days: Annotated[int, msgspec.Meta(ge=1)] = 3
    quarantine_window_days: Annotated[int, msgspec.Meta(ge=1)] = 10
    quarantine_demo_days: Annotated[int, msgspec.Meta(ge=0)] = 7


class PennyRule(msgspec.Struct, **_STRUCT):
    """Who may trade in the penny bucket: listed on one of ``venues``, price and average daily traded
    value (ADV, in the quote currency, over ``adv_days`` days) at least the minimums."""

    venues: tuple[str, ...] = ("TSXV",)
    min_price: NonNegative = 0.25
    min_adv: NonNegative = 200_000.0
    adv_days: Annotated[int, msgspec.Meta(ge=1)] = 20


class SipConfig(msgspec.Struct, **_STRUCT):
    """Share of each day's profit moved to the SIP bucket at end of day (a ledger entry)."""

    profit_share_pct: Percent = 1.0


class DataStallConfig(msgspec.Struct, **_STRUCT):
    """No market data for ``timeout_bars`` typical spacings counts as a stall (the bar interval, or the
    observed 99th-percentile spacing when larger: sparse or session markets; engine/risk/stall_timeout)."""

    timeout_bars: Annotated[float, msgspec.Meta(gt=0.0)] = 5.0


class OrderRateConfig(msgspec.Struct, **_STRUCT):
    """The Nautilus risk engine's submit-rate limit, and the share of it kept free for flatten orders."""

    max_submit_per_s: Annotated[int, msgspec.Meta(ge=1)] = 100
    flatten_reserve_pct: Annotated[float, msgspec.Meta(ge=0.0, lt=100.0)] = 50.0


class RiskConfig(msgspec.Struct, **_STRUCT):
    profile: str = "runbook"
    caps: RiskCaps = RiskCaps()
    limits: PortfolioLimits = PortfolioLimits()
    kill_switch: KillSwitchConfig = KillSwitchConfig()
    penny: PennyRule = PennyRule()
    sip: SipConfig = SipConfig()
    data_stall: DataStallConfig = DataStallConfig()
    order_rate: OrderRateConfig = OrderRateConfig()
    do_not_trade: tuple[str, ...] = ()
