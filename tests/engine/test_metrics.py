import math

import numpy as np
import pytest

from engine.exposure import exposure
from engine.metrics import NS_PER_DAY, daily_returns, hit_rate, max_drawdown, sharpe_daily, utc_day


def test_daily_aggregation_uses_last_nav_of_each_utc_day():
    minute = 60 * 10**9
    ts = np.array([minute, 2 * minute, NS_PER_DAY, NS_PER_DAY + minute, 2 * NS_PER_DAY + minute])
    nav = np.array([101.0, 99.0, 102.0, 100.0, 110.0])
    r = daily_returns(ts, nav, 100.0)
    assert r == pytest.approx([0.02, 100 / 102 - 1, 0.1])  # the bar closing at 00:00 ends day 0


def test_utc_day_assigns_a_midnight_close_to_the_day_it_covered():
    assert utc_day(NS_PER_DAY) == 0
    assert utc_day(NS_PER_DAY + 1) == 1


def test_sharpe_daily_matches_hand_computation_and_needs_two_days():
    r = np.array([0.01, -0.005, 0.02, 0.0])
    expected = r.mean() / r.std(ddof=1) * math.sqrt(365)
    assert sharpe_daily(r) == pytest.approx(expected)
    assert sharpe_daily(np.array([0.01])) is None
    assert sharpe_daily(np.array([0.01, 0.01])) is None


def test_max_drawdown_includes_starting_nav():
    assert max_drawdown(np.array([90.0, 95.0, 80.0, 120.0]), 100.0) == pytest.approx(0.2)
    assert max_drawdown(np.array([101.0, 102.0]), 100.0) == 0.0


def test_hit_rate():
    assert hit_rate([1.0, -1.0, 2.0, 0.0]) == 0.5
    assert hit_rate([]) is None


def test_exposure_percentages():
    e = exposure({"A": 3000.0, "B": -1000.0, "C": 500.0}, {"A": "core", "B": "core", "C": "penny"}, 100_000.0)
    assert e.gross_pct == pytest.approx(4.5)
    assert e.net_pct == pytest.approx(2.5)
    assert e.max_name_pct == pytest.approx(3.0)
    assert e.bucket_pct == pytest.approx({"core": 4.0, "penny": 0.5, "fno": 0.0})
    with pytest.raises(ValueError):
        exposure({}, {}, 0.0)
