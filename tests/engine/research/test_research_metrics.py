"""OOS metrics: ECE by hand, lift, PSI and the deflated Sharpe ratio."""

from __future__ import annotations

import numpy as np

from engine.research.metrics import deflated_sharpe, ece, lift_at, psi


def test_ece_matches_a_hand_computed_example():
    prob = np.array([0.05, 0.05, 0.95, 0.95, 0.55, 1.0])
    labels = np.array([0, 1, 1, 1, 0, 1])
    # bins: 0 -> {0.05, 0.05} rate 0.5; 5 -> {0.55} rate 0; 9 -> {0.95, 0.95, 1.0} rate 1
    want = (2 / 6) * abs(0.5 - 0.05) + (1 / 6) * 0.55 + (3 / 6) * abs(1 - (0.95 + 0.95 + 1.0) / 3)
    assert abs(ece(labels, prob) - want) < 1e-12


def test_lift_at_top_decile():
    labels = np.array([1] * 10 + [0] * 90)
    prob = np.linspace(1, 0, 100)
    assert lift_at(labels, prob, 0.10) == 10.0


def test_psi_zero_on_same_sample_and_large_on_shift():
    rng = np.random.default_rng(1)
    x = rng.normal(size=5000)
    assert psi(x, x) < 1e-9
    assert psi(x, x + 1.0) > 0.2


def test_deflated_sharpe_falls_with_more_trials():
    rng = np.random.default_rng(2)
    r = rng.normal(0.1, 1.0, 250)
    one = deflated_sharpe(r, 1)
    many = deflated_sharpe(r, 100)
    assert one["sharpe_threshold"] == 0.0 and many["sharpe_threshold"] > 0.0
    assert many["dsr"] < one["dsr"]
