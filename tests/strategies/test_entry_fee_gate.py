"""The strategy's entry cost checks charge each instrument its own asset class's round-trip fee.

``EntryMixin._entry_check`` is called on a bare object holding only what it reads (config, first-touch
models, the instrument state), so the test exercises the strategy's own code without a Nautilus engine.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from engine.asset_classes import round_trip_fee
from engine.config import load_config
from strategies.entries import EntryMixin

CLOSE = 1000.0
CFG = load_config()
TP_ATR = CFG.policy.stop_multipliers.take_profit


def _state(kind: str, atr: float) -> SimpleNamespace:
    return SimpleNamespace(spec=SimpleNamespace(kind=kind), features=SimpleNamespace(atr=atr))


def _check(kind: str, atr: float, touch: dict | None = None, wants: int = 1):
    strategy = SimpleNamespace(cfg=CFG, _touch=touch or {})
    return EntryMixin._entry_check(strategy, _state(kind, atr), np.zeros(4), wants, CLOSE)


def _boundary_atr(fee: float) -> tuple[float, float]:
    """The largest ATR whose take-profit distance does not clear ``fee`` and the next float above it,
    computed with the strategy's own arithmetic (``take_profit * (atr / close)``)."""
    atr = fee / TP_ATR * CLOSE
    while TP_ATR * (atr / CLOSE) > fee:
        atr = math.nextafter(atr, 0.0)
    while not TP_ATR * (math.nextafter(atr, math.inf) / CLOSE) > fee:
        atr = math.nextafter(atr, math.inf)
    return atr, math.nextafter(atr, math.inf)


def test_round_trip_fee_is_twice_the_asset_class_taker_fee():
    assert round_trip_fee("equity", CFG) == 2.0 * CFG.fees.equity.taker == 0.001
    assert round_trip_fee("fx", CFG) == round_trip_fee("future", CFG) == 0.0002
    assert round_trip_fee("crypto_spot", CFG) == 2.0 * CFG.venue.taker_fee == 0.002


def test_equity_and_crypto_with_the_same_take_profit_are_gated_at_their_own_fee():
    below, above = _boundary_atr(round_trip_fee("equity", CFG))
    # at the equity boundary both are skipped; one float above it the equity entry clears its 2 x 5 bps
    # while the crypto entry, the same distance from its take-profit, is still under its 2 x 10 bps
    assert _check("equity", below).reason == "tp_below_fee"
    assert _check("crypto_spot", below).reason == "tp_below_fee"
    assert _check("equity", above).take
    assert _check("crypto_spot", above).reason == "tp_below_fee"
    c_below, c_above = _boundary_atr(round_trip_fee("crypto_spot", CFG))
    assert _check("crypto_spot", c_below).reason == "tp_below_fee"
    assert _check("crypto_spot", c_above).take


class _TouchModel:
    """A first-touch model with a regime calibration that always answers ``prob``."""

    def __init__(self, prob: float) -> None:
        self.prob = prob
        self.manifest = SimpleNamespace(research={"regime_thresholds": [0.0, 1.0]})  # always med_vol

    def predict(self, rows):
        return np.full(len(rows), self.prob)


@pytest.mark.parametrize("kind", ["equity", "crypto_spot", "fx"])
def test_expected_pnl_is_net_of_the_instruments_own_fee(kind):
    touch = {1: _TouchModel(0.7)}
    check = _check(kind, 10.0, touch)  # tp 2.5 %, sl 1.8 %: both fees are cleared
    assert check.take and check.regime == "med_vol"
    assert check.exp_pnl_net == check.exp_pnl - round_trip_fee(kind, CFG)


def test_expected_pnl_sign_flips_between_equity_and_crypto_at_the_same_probability():
    # P(win) 0.8 (above every regime gate) and an ATR chosen so that E[PnL] before fees lies halfway
    # between the equity and the crypto round trip: E = p * tp - (1 - p) * sl = x * (p * (tp + sl) - sl)
    prob, tp_atr, sl_atr = 0.8, TP_ATR, CFG.policy.stop_multipliers.atr
    target = 0.5 * (round_trip_fee("equity", CFG) + round_trip_fee("crypto_spot", CFG))
    atr = target / (prob * (tp_atr + sl_atr) - sl_atr) * CLOSE
    assert tp_atr * atr / CLOSE > round_trip_fee("crypto_spot", CFG)  # the take-profit check passes
    touch = {1: _TouchModel(prob)}
    equity, crypto = _check("equity", atr, touch), _check("crypto_spot", atr, touch)
    assert equity.exp_pnl == pytest.approx(target)
    assert equity.take
    assert crypto.reason == "exp_pnl_net_nonpositive"
