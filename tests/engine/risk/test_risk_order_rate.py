"""Submit-rate budget: the 1-second window edges in ns, the flatten reserve and the headroom."""

from __future__ import annotations

import pytest

from engine.config import OrderRateConfig
from engine.risk.order_rate import NS_PER_SECOND, OrderRateBudget

T0 = 1_700_000_000 * NS_PER_SECOND


def test_entries_stop_at_the_non_reserved_share() -> None:
    # Arrange: 100/s with half kept for flattens
    budget = OrderRateBudget(100, 50.0)
    budget.record(T0, n=49)

    # Act / Assert
    assert budget.entry_allowed(T0)
    assert not budget.entry_allowed(T0, n=2)
    budget.record(T0)
    assert not budget.entry_allowed(T0)
    assert budget.flatten_headroom(T0) == 50


def test_flattens_may_use_the_reserve_up_to_the_nautilus_limit() -> None:
    budget = OrderRateBudget(10, 30.0)
    budget.record(T0, n=7)

    assert not budget.entry_allowed(T0)
    assert budget.flatten_headroom(T0) == 3
    budget.record(T0, n=3)
    assert budget.flatten_headroom(T0) == 0
    budget.record(T0, n=2)  # over the limit: Nautilus would deny these, headroom never negative
    assert budget.flatten_headroom(T0) == 0


def test_entry_limit_floors_without_binary_rounding_surprises() -> None:
    assert OrderRateBudget(100, 30.0).entry_limit == 70
    assert OrderRateBudget(10, 33.0).entry_limit == 6
    assert OrderRateBudget(3, 50.0).entry_limit == 1
    assert OrderRateBudget(1, 0.0).entry_limit == 1
    assert OrderRateBudget(1, 50.0).entry_limit == 0


def test_a_submit_stops_counting_exactly_one_second_later() -> None:
    # Arrange
    budget = OrderRateBudget(2, 0.0)
    budget.record(T0)
    budget.record(T0 + 300_000_000)

    # Act / Assert: (now - 1 s, now] like the Nautilus throttler
    assert budget.count(T0 + NS_PER_SECOND - 1) == 2
    assert not budget.entry_allowed(T0 + NS_PER_SECOND - 1)
    assert budget.count(T0 + NS_PER_SECOND) == 1
    assert budget.entry_allowed(T0 + NS_PER_SECOND)
    assert budget.count(T0 + 300_000_000 + NS_PER_SECOND) == 0
    assert budget.flatten_headroom(T0 + 300_000_000 + NS_PER_SECOND) == 2


def test_window_slides_over_a_burst() -> None:
    budget = OrderRateBudget(100, 50.0)
    for i in range(50):
        budget.record(T0 + i * 10_000_000)  # 50 entries over 490 ms

    assert not budget.entry_allowed(T0 + 999_999_999)
    assert budget.entry_allowed(T0 + NS_PER_SECOND)  # the first one has left the window
    assert budget.count(T0 + NS_PER_SECOND + 245_000_000) == 25


def test_record_earlier_than_the_latest_counts_at_the_latest_time() -> None:
    budget = OrderRateBudget(5, 0.0)
    budget.record(T0 + NS_PER_SECOND)

    budget.record(T0)

    assert budget.count(T0 + 2 * NS_PER_SECOND - 1) == 2
    assert budget.count(T0 + 2 * NS_PER_SECOND) == 0


def test_record_zero_is_a_no_op_and_negative_is_an_error() -> None:
    budget = OrderRateBudget(5, 0.0)

    budget.record(T0, n=0)

    assert budget.count(T0) == 0
    with pytest.raises(ValueError, match="n must be"):
        budget.record(T0, n=-1)


def test_custom_interval() -> None:
    budget = OrderRateBudget(5, 0.0, interval_ns=100)
    budget.record(T0, n=5)

    assert budget.flatten_headroom(T0 + 99) == 0
    assert budget.flatten_headroom(T0 + 100) == 5


def test_from_config_reads_the_order_rate_section() -> None:
    budget = OrderRateBudget.from_config(OrderRateConfig(max_submit_per_s=40, flatten_reserve_pct=25.0))

    assert (budget.max_per_s, budget.reserve_pct, budget.entry_limit) == (40, 25.0, 30)


@pytest.mark.parametrize(("max_per_s", "reserve_pct"), [(0, 10.0), (10, 100.0), (10, -1.0)])
def test_invalid_budget_is_an_error(max_per_s: int, reserve_pct: float) -> None:
    with pytest.raises(ValueError):
        OrderRateBudget(max_per_s, reserve_pct)
