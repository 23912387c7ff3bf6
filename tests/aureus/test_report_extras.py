"""The report's extra sections on hand-made trades, fills and risk events (values worked out by hand)."""

from __future__ import annotations

import pytest

from aureus.report_extras import PriceRange, buy_and_hold, data_stalls, fees_paid, per_instrument, turnover
from schemas.orders import Fill
from schemas.risk import TradingStateChanged
from schemas.tradelog import TradeLogEntry

S = 1_000_000_000


def _trade(symbol: str, direction: str, pnl: float | None, fees: float) -> TradeLogEntry:
    return TradeLogEntry(timestamp="2023-03-01T00:00:00Z", mode="demo", symbol=symbol, direction=direction,
                         size_pre=0.01, size_post_risk=0.01, entry_price=100.0,
                         exit_price=None if pnl is None else 101.0, reason_tags=(), realized_pnl=pnl,
                         fees=fees)  # fmt: skip


def _fill(quantity: float, price: float, commission: float) -> Fill:
    return Fill(instrument="A.SIM", ts_event=0, client_order_id="c", venue_order_id="v", side="BUY",
                quantity=quantity, price=price, commission=commission, position_id="p")  # fmt: skip


def test_per_instrument_counts_and_pnl() -> None:
    trades = [_trade("A.SIM", "BUY", 10.0, 1.0), _trade("A.SIM", "SELL", -4.0, 1.0),
              _trade("B.SIM", "SELL", None, 0.5)]  # fmt: skip

    table = per_instrument(trades)

    assert table["A.SIM"] == {"trades": 2, "open": 0, "long": 1, "short": 1, "realized_pnl": 6.0, "fees": 2.0}
    assert table["B.SIM"] == {"trades": 0, "open": 1, "long": 0, "short": 1, "realized_pnl": 0.0, "fees": 0.5}


def test_fees_and_turnover() -> None:
    fills = [_fill(2.0, 100.0, 0.2), _fill(1.0, 300.0, 0.3)]
    assert fees_paid(fills) == pytest.approx(0.5)
    assert turnover(fills, [900.0, 1_100.0]) == pytest.approx(500.0 / 1_000.0)
    assert turnover(fills, []) == 0.0


def test_buy_and_hold_is_scaled_by_mean_gross_exposure() -> None:
    result = buy_and_hold({"A": PriceRange(100.0, 110.0), "B": PriceRange(50.0, 45.0)}, [10.0, 30.0])

    assert result["per_instrument_return"] == pytest.approx({"A": 0.10, "B": -0.10})
    assert result["equal_weight_return"] == pytest.approx(0.0)
    result = buy_and_hold({"A": PriceRange(100.0, 110.0)}, [10.0, 30.0])
    assert result["mean_gross_exposure_pct"] == pytest.approx(20.0)
    assert result["exposure_weighted_return"] == pytest.approx(0.02)


def test_data_stalls_are_summarised_per_instrument() -> None:
    def change(ts: int, reason: str, instrument: str) -> TradingStateChanged:
        return TradingStateChanged(ts_event=ts * S, previous="ACTIVE", current="REDUCING", reason=reason,
                                   instrument=instrument)  # fmt: skip

    events = [change(0, "data_stall", "K"), change(120, "data_resumed", "K"), change(500, "data_stall", "K"),
              change(530, "data_resumed", "K"), change(900, "data_stall", "F"),
              change(901, "kill_switch", "F")]  # fmt: skip

    summary = data_stalls(events, end_ns=1_000 * S)

    assert summary == {
        "F": {"stalls": 1, "longest_stall_s": 100.0},
        "K": {"stalls": 2, "longest_stall_s": 120.0},
    }
