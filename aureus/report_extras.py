"""Report sections built from what a replay already collected: per instrument, costs, a baseline, stalls.

Pure functions over the trade log, the fills, the equity rows, the risk events and each instrument's
first and last close; :func:`report_extras` puts them together for ``report.json``.

* ``per_instrument``: closed and open trades, long / short counts, realized P&L and fees per instrument.
* ``fees_paid``: commissions of every fill (each in its instrument's quote currency; summed as the account
  currency, which is exact when they coincide, as in every shipped replay venue).
* ``turnover``: traded notional (sum of ``|quantity * price|`` over fills) divided by the mean NAV.
* ``buy_and_hold``: each instrument's return from its first to its last close, their equal-weight mean,
  and that mean scaled by the strategy's mean gross exposure: what holding the same instruments with the
  same average capital at work would have returned (the baseline to beat).
* ``data_stalls``: stall count and the longest stall (from detection to the data resuming, or to the end
  of the data) per instrument, instead of one alert per gap.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

NS_PER_S = 1_000_000_000


@dataclass(frozen=True)
class PriceRange:
    """First and last close of an instrument in the replayed data."""

    first: float
    last: float


def per_instrument(trades: Iterable[Any]) -> dict[str, dict[str, float | int]]:
    """Trades, long / short counts, realized P&L and fees per instrument (``symbol`` of the trade log)."""
    table: dict[str, dict[str, float | int]] = {}
    for trade in trades:
        row = table.setdefault(
            trade.symbol, {"trades": 0, "open": 0, "long": 0, "short": 0, "realized_pnl": 0.0, "fees": 0.0}
        )
        row["long" if trade.direction == "BUY" else "short"] += 1
        if trade.exit_price is None:
            row["open"] += 1
        else:
            row["trades"] += 1
            row["realized_pnl"] += trade.realized_pnl or 0.0
        row["fees"] += trade.fees or 0.0
    return dict(sorted(table.items()))


def fees_paid(fills: Iterable[Any]) -> float:
    """Sum of the fills' commissions."""
    return float(sum(f.commission for f in fills if hasattr(f, "commission")))


def turnover(fills: Iterable[Any], navs: Sequence[float]) -> float:
    """Traded notional over the mean NAV (0.0 without NAV rows)."""
    if not navs:
        return 0.0
    notional = sum(abs(f.quantity * f.price) for f in fills if hasattr(f, "quantity"))
    return float(notional / (sum(navs) / len(navs)))


def buy_and_hold(prices: Mapping[str, PriceRange], gross_exposure_pct: Sequence[float]) -> dict[str, Any]:
    """Buy-and-hold of the replayed instruments, equal weight and scaled by the mean gross exposure."""
    returns = {name: p.last / p.first - 1.0 for name, p in sorted(prices.items()) if p.first > 0}
    equal = sum(returns.values()) / len(returns) if returns else 0.0
    exposure = sum(gross_exposure_pct) / len(gross_exposure_pct) / 100.0 if gross_exposure_pct else 0.0
    return {
        "per_instrument_return": returns,
        "equal_weight_return": equal,
        "mean_gross_exposure_pct": exposure * 100.0,
        "exposure_weighted_return": equal * exposure,
    }


def data_stalls(risk_events: Iterable[Any], end_ns: int) -> dict[str, dict[str, float | int]]:
    """Per instrument: stalls and the longest one in seconds (a stall still open runs to ``end_ns``)."""
    started: dict[str, int] = {}
    summary: dict[str, dict[str, float | int]] = {}
    for event in risk_events:
        reason = getattr(event, "reason", None)
        if reason not in ("data_stall", "data_resumed"):
            continue
        name = event.instrument
        row = summary.setdefault(name, {"stalls": 0, "longest_stall_s": 0.0})
        if reason == "data_stall":
            row["stalls"] += 1
            started[name] = event.ts_event
        elif name in started:
            row["longest_stall_s"] = max(
                row["longest_stall_s"], (event.ts_event - started.pop(name)) / NS_PER_S
            )
    for name, ts in started.items():
        summary[name]["longest_stall_s"] = max(summary[name]["longest_stall_s"], (end_ns - ts) / NS_PER_S)
    return dict(sorted(summary.items()))


def report_extras(
    *,
    trades: Sequence[Any],
    fills: Sequence[Any],
    navs: Sequence[float],
    gross_exposure_pct: Sequence[float],
    prices: Mapping[str, PriceRange],
    risk_events: Sequence[Any],
    end_ns: int,
) -> dict[str, Any]:
    """The report keys this module adds: ``per_instrument``, ``fees_paid``, ``turnover``,
    ``buy_and_hold`` and ``data_stall_summary``."""
    return {
        "per_instrument": per_instrument(trades),
        "fees_paid": fees_paid(fills),
        "turnover": turnover(fills, navs),
        "buy_and_hold": buy_and_hold(prices, gross_exposure_pct),
        "data_stall_summary": data_stalls(risk_events, end_ns),
    }
