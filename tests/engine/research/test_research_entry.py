"""Cost-aware entry checks and score-scaled sizing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.research.entry import check_entry, regime_index, score_size

KW = {"take_profit_atr": 2.5, "stop_atr": 1.8, "round_trip_fee": 0.002, "gates": (0.60, 0.62, 0.65)}


def test_take_profit_below_the_round_trip_fee_is_skipped_whatever_the_probability():
    c = check_entry(0.99, 0.0007, thresholds=(0.001, 0.002), **KW)  # tp = 0.175% < 0.2%
    assert not c.take and c.reason == "tp_below_fee"


def test_gates_per_regime_and_expected_pnl_net_of_fees():
    thresholds = (0.001, 0.002)
    assert check_entry(0.61, 0.0015, thresholds=thresholds, **KW).reason == "below_gate_med_vol"
    assert check_entry(0.64, 0.0025, thresholds=thresholds, **KW).reason == "below_gate_high_vol"
    # high vol, p = 0.66: E = 0.66*0.00625 - 0.34*0.0045 = 0.002595, net 0.000595 > 0
    c = check_entry(0.66, 0.0025, thresholds=thresholds, **KW)
    assert c.take and c.regime == "high_vol"
    assert c.exp_pnl_net == pytest.approx(0.66 * 0.00625 - 0.34 * 0.0045 - 0.002)
    # med vol, p = 0.62 passes the gate but E = 0.62*0.00375 - 0.38*0.0027 = 0.001299 < fee
    c = check_entry(0.62, 0.0015, thresholds=thresholds, **KW)
    assert c.reason == "exp_pnl_net_nonpositive" and c.exp_pnl_net < 0


def test_without_regime_thresholds_only_costs_apply():
    c = check_entry(0.55, 0.01, thresholds=None, **KW)
    assert c.take and c.regime is None


@given(st.floats(0, 1), st.floats(0.0001, 0.1))
def test_a_taken_entry_always_has_tp_above_fee_and_positive_net(p, atr):
    c = check_entry(p, atr, thresholds=(0.001, 0.002), **KW)
    if c.take:
        assert c.take_profit > KW["round_trip_fee"] and c.exp_pnl_net > 0


def test_regime_index_and_score_size():
    assert [regime_index(x, (1.0, 2.0)) for x in (0.5, 1.0, 1.5, 2.0, 3.0)] == [0, 1, 1, 2, 2]
    assert score_size(0.5, 0.015) == 0.0
    assert score_size(0.75, 0.015) == pytest.approx(0.0075)
    assert score_size(0.0, 0.015) == pytest.approx(0.015)
