"""Penny eligibility: the incremental ADV tracker and the rule's reasons."""

from __future__ import annotations

import math

import pytest

from engine.config import PennyRule
from engine.risk.clamp import OrderRequest
from engine.risk.penny import NS_PER_DAY, DailyValueTracker, penny_reason

DAY = NS_PER_DAY
MINUTE = 60_000_000_000


def at(day: int, minutes: int) -> int:
    """A bar closing ``minutes`` after midnight UTC of ``day`` (days since the epoch)."""
    return day * DAY + minutes * MINUTE


def test_adv_is_nan_until_one_day_completes() -> None:
    tracker = DailyValueTracker(adv_days=3)

    tracker.update(at(10, 1), 2.0, 1_000.0)
    tracker.update(at(10, 2), 2.0, 500.0)

    assert math.isnan(tracker.adv)
    assert tracker.completed_days == 0
    assert tracker.today_value == 3_000.0


def test_adv_is_the_mean_of_the_last_completed_days() -> None:
    # Arrange: day values 1,000 / 2,000 / 3,000 / 6,000, then a bar of day 14
    tracker = DailyValueTracker(adv_days=3)
    for day, value in ((10, 1_000.0), (11, 2_000.0), (12, 3_000.0), (13, 6_000.0)):
        tracker.update(at(day, 30), value / 10.0, 5.0)
        tracker.update(at(day, 31), value / 10.0, 5.0)

    # Act
    tracker.update(at(14, 1), 1.0, 1.0)

    # Assert: days 11-13 completed, day 10 rolled out
    assert tracker.adv == pytest.approx((2_000.0 + 3_000.0 + 6_000.0) / 3)
    assert tracker.completed_days == 3
    assert tracker.today_value == 1.0


def test_bar_closing_at_midnight_belongs_to_the_day_it_closes() -> None:
    # Arrange
    tracker = DailyValueTracker(adv_days=5)
    tracker.update(at(10, 23 * 60), 1.0, 100.0)

    # Act: the 23:00-24:00 bar is stamped exactly at midnight of day 11
    tracker.update(at(11, 0), 1.0, 50.0)

    # Assert: still day 10, no completed day yet
    assert math.isnan(tracker.adv)
    assert tracker.today_value == 150.0

    # Act: the first bar of day 11 completes day 10
    tracker.update(at(11, 0) + 1, 1.0, 7.0)

    # Assert
    assert tracker.adv == 150.0
    assert tracker.today_value == 7.0


def test_days_without_bars_do_not_count_as_zero_days() -> None:
    tracker = DailyValueTracker(adv_days=2)

    tracker.update(at(10, 5), 1.0, 100.0)  # Friday
    tracker.update(at(13, 5), 1.0, 300.0)  # Monday
    tracker.update(at(14, 5), 1.0, 1.0)

    assert tracker.adv == 200.0


def test_late_and_invalid_bars_are_ignored() -> None:
    tracker = DailyValueTracker(adv_days=2)
    tracker.update(at(10, 5), 1.0, 100.0)
    tracker.update(at(11, 5), 1.0, 10.0)

    tracker.update(at(10, 6), 1.0, 1_000.0)  # a late bar of a completed day
    tracker.update(at(11, 6), math.nan, 1.0)
    tracker.update(at(11, 7), 1.0, -5.0)
    tracker.update(at(11, 8), math.inf, 1.0)  # not finite: ignored as well

    assert tracker.adv == 100.0
    assert tracker.today_value == 10.0


def test_adv_days_must_be_positive() -> None:
    with pytest.raises(ValueError, match="adv_days"):
        DailyValueTracker(adv_days=0)


def request(**kw: object) -> OrderRequest:
    fields: dict[str, object] = {"venue": "TSXV", "price": 0.5, "adv": 250_000.0}
    fields.update(kw)
    return OrderRequest(instrument="PNY.V", bucket="penny", side=1, size=0.004, **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({}, ""),
        ({"price": 0.25, "adv": 200_000.0}, ""),
        ({"venue": "TSX"}, "penny_venue"),
        ({"venue": ""}, "penny_venue"),
        ({"price": 0.20}, "penny_price"),
        ({"price": math.nan}, "penny_price"),
        ({"adv": 199_999.0}, "penny_adv"),
        ({"adv": math.nan}, "penny_adv"),
        ({"venue": "TSX", "price": 0.1, "adv": math.nan}, "penny_venue"),
        ({"price": 0.1, "adv": 0.0}, "penny_price"),
    ],
)
def test_penny_reason_checks_venue_then_price_then_adv(fields: dict[str, object], reason: str) -> None:
    assert penny_reason(request(**fields), PennyRule()) == reason


def test_penny_rule_venues_come_from_config() -> None:
    rule = PennyRule(venues=("TSXV", "CSE"), min_price=0.1, min_adv=1_000.0)

    assert penny_reason(request(venue="CSE", price=0.1, adv=1_000.0), rule) == ""
