"""The pre-submit clamp, sizing limits: one Arrange/Act/Assert case per cap, with exact numbers.

NAV is 100,000 everywhere, so a notional of 1,000 is 1 % of NAV.
"""

from __future__ import annotations

import math

import msgspec
import pytest
from risk_clamp_cases import GUARDRAILS, LONG_SHORT, RUNBOOK, book, order

from engine.risk.clamp import assess

# -- per name -------------------------------------------------------------------------------------


def test_order_within_every_limit_is_approved_in_full() -> None:
    verdict = assess(order(size=0.01), book(), RUNBOOK)

    assert (verdict.requested, verdict.approved, verdict.status, verdict.binding) == (
        0.01,
        0.01,
        "approved",
        "",
    )
    assert math.isnan(verdict.limit)


def test_core_request_above_per_name_cap_is_reduced_to_the_cap() -> None:
    verdict = assess(order(size=0.03), book(), RUNBOOK)

    assert (verdict.status, verdict.approved, verdict.binding, verdict.limit) == (
        "reduced",
        0.015,
        "per_name_cap",
        0.015,
    )
    assert verdict.requested == 0.03


def test_adding_to_a_held_name_is_reduced_to_the_rest_of_its_cap() -> None:
    verdict = assess(order("A.TO", size=0.01), book(("A.TO", "core", "", 1.0)), RUNBOOK)

    assert verdict.status == "reduced"
    assert verdict.approved == pytest.approx(0.005)
    assert verdict.binding == "per_name_cap"


def test_name_in_breach_rejects_a_buy_but_may_sell_through_to_the_opposite_cap() -> None:
    # Arrange: 2 % long drifted above the 1.5 % cap
    held = book(("A.TO", "core", "", 2.0))

    # Act
    buy = assess(order("A.TO", size=0.01), held, RUNBOOK)
    sell = assess(order("A.TO", size=0.05, side=-1), held, RUNBOOK)

    # Assert
    assert (buy.status, buy.approved, buy.binding) == ("rejected", 0.0, "per_name_cap")
    assert sell.status == "reduced"
    assert sell.approved == pytest.approx(0.035)  # 2 % long -> 1.5 % short
    assert sell.binding == "per_name_cap"


def test_penny_request_above_its_per_name_cap_is_reduced_to_0_4_percent() -> None:
    request = order(size=0.005, bucket="penny", venue="TSXV", price=0.5, adv=250_000.0)

    verdict = assess(request, book(), RUNBOOK)

    assert (verdict.status, verdict.approved, verdict.binding) == ("reduced", 0.004, "per_name_cap")


def test_fno_size_is_scaled_by_delta() -> None:
    # Arrange: 0.7 % delta-equivalent cap, delta 0.5 -> 1.4 % of contract notional
    request = order(size=0.02, bucket="fno", delta=0.5)

    # Act
    verdict = assess(request, book(), RUNBOOK)

    # Assert
    assert verdict.approved == pytest.approx(0.014)
    assert verdict.binding == "per_name_cap"


def test_negative_delta_buy_counts_as_short_exposure() -> None:
    # Arrange: a put (delta -0.5) on a name already 0.5 % short delta-equivalent
    held = book(("PUT.X", "fno", "", -0.5))

    # Act
    verdict = assess(order("PUT.X", size=0.02, bucket="fno", delta=-0.5), held, RUNBOOK)

    # Assert: 0.2 % of room left on the short side, at delta 0.5
    assert verdict.approved == pytest.approx(0.004)
    assert verdict.binding == "per_name_cap"


def test_single_name_limit_tightens_a_looser_per_name_cap() -> None:
    limits = msgspec.structs.replace(GUARDRAILS, per_name={**GUARDRAILS.per_name, "core": 0.3})

    verdict = assess(order(size=0.3), book(), limits)

    assert (verdict.approved, verdict.binding, verdict.limit) == (0.25, "single_name", 0.25)


def test_tie_between_per_name_and_single_name_reports_per_name_cap() -> None:
    verdict = assess(order(size=0.3), book(), GUARDRAILS)

    assert (verdict.approved, verdict.binding) == (0.25, "per_name_cap")


# -- bucket, portfolio ----------------------------------------------------------------------------


def test_nearly_full_core_bucket_reduces_to_the_rest() -> None:
    # Arrange: 59 names at 1.5 % and one at 1 % = 89.5 % of a 90 % bucket
    held = book(*[(f"N{i}", "core", "", 1.5) for i in range(59)], ("LAST", "core", "", 1.0))

    # Act
    verdict = assess(order(size=0.015), held, RUNBOOK)

    # Assert
    assert verdict.status == "reduced"
    assert verdict.approved == pytest.approx(0.005)
    assert (verdict.binding, verdict.limit) == ("bucket_cap", 0.9)


def test_other_buckets_do_not_count_against_a_bucket_cap() -> None:
    held = book(("P1", "penny", "", 2.0), ("F1", "fno", "", 5.0))

    verdict = assess(order(size=0.015), held, RUNBOOK)

    assert verdict.status == "approved"


def test_bucket_in_breach_rejects_new_names_but_lets_held_names_sell() -> None:
    # Arrange: price drift took the penny bucket to 2.4 % of a 2 % cap
    held = book(*[(f"P{i}", "penny", "", 0.4) for i in range(6)])
    penny = {"bucket": "penny", "venue": "TSXV", "price": 1.0, "adv": 1e6}

    # Act
    buy = assess(order(size=0.001, **penny), held, RUNBOOK)
    sell = assess(order("P0", size=0.002, side=-1, **penny), held, RUNBOOK)

    # Assert
    assert (buy.status, buy.binding, buy.limit) == ("rejected", "bucket_cap", 0.02)
    assert (sell.status, sell.approved) == ("approved", 0.002)


def test_top_n_concentration_leaves_only_the_rest_of_top_5_at_50_percent() -> None:
    # Arrange: four names at 12 % in four sectors (48 % in the top 5)
    held = book(*[(f"T{i}", "core", f"s{i}", 12.0) for i in range(4)])

    # Act
    verdict = assess(order(size=0.25, sector="s9"), held, GUARDRAILS)

    # Assert
    assert verdict.approved == pytest.approx(0.02)
    assert (verdict.binding, verdict.limit) == ("top_n", 0.5)


def test_name_outside_the_top_n_is_not_bound_by_it_until_it_enters() -> None:
    # Arrange: top 5 = 5 x 10 % = 50 % (at the limit); a sixth name holds 2 %
    held = book(*[(f"T{i}", "core", f"s{i}", 10.0) for i in range(5)], ("SMALL", "core", "s7", 2.0))
    limits = msgspec.structs.replace(GUARDRAILS, max_positions=0)

    # Act
    verdict = assess(order("SMALL", size=0.2, sector="s7"), held, limits)

    # Assert: may grow from 2 % to 10 % (ties the 5th) without raising the top-5 sum
    assert verdict.approved == pytest.approx(0.08)
    assert verdict.binding == "top_n"


def test_sector_gross_leaves_the_rest_of_40_percent() -> None:
    held = book(("A", "core", "tech", 20.0), ("B", "core", "tech", 15.0), ("C", "core", "energy", 5.0))

    verdict = assess(order(size=0.1, sector="tech"), held, GUARDRAILS)

    assert verdict.approved == pytest.approx(0.05)
    assert (verdict.binding, verdict.limit) == ("sector_gross", 0.4)


def test_empty_sector_skips_the_sector_limits() -> None:
    held = book(("A", "core", "", 20.0), ("B", "core", "", 15.0))

    verdict = assess(order(size=0.1), held, GUARDRAILS)

    assert verdict.status == "approved"


def test_sector_net_leaves_the_rest_of_10_percent() -> None:
    # Arrange: tech +9 %, hedged by energy -9 % (total net 0)
    held = book(
        ("A", "core", "tech", 5.0),
        ("B", "core", "tech", 4.0),
        ("D", "core", "energy", -5.0),
        ("E", "core", "energy", -4.0),
    )

    # Act
    buy = assess(order(size=0.05, sector="tech"), held, LONG_SHORT)
    sell = assess(order(size=0.05, sector="tech", side=-1), held, LONG_SHORT)

    # Assert
    assert buy.approved == pytest.approx(0.01)
    assert (buy.binding, buy.limit) == ("sector_net", 0.1)
    assert sell.status == "approved"


def test_net_limit_leaves_the_rest_of_plus_5_percent() -> None:
    held = book(("A", "core", "", 5.0), ("B", "core", "", 4.0), ("C", "core", "", -5.0))

    buy = assess(order(size=0.05), held, LONG_SHORT)
    sell = assess(order(size=0.05, side=-1), held, LONG_SHORT)

    assert buy.approved == pytest.approx(0.01)
    assert (buy.binding, buy.limit) == ("net_max", 0.05)
    assert sell.status == "approved"


def test_gross_limit_leaves_the_rest_of_200_percent() -> None:
    # Arrange: gross 199 %, net +1 %; the bucket cap lifted so gross binds alone
    longs = [(f"L{i}", "core", "", 5.0) for i in range(20)]
    shorts = [(f"S{i}", "core", "", -5.0) for i in range(19)] + [("S19", "core", "", -4.0)]
    limits = msgspec.structs.replace(LONG_SHORT, bucket={**LONG_SHORT.bucket, "core": 3.0})

    # Act
    verdict = assess(order(size=0.05), book(*longs, *shorts), limits)

    # Assert
    assert verdict.approved == pytest.approx(0.01)
    assert (verdict.binding, verdict.limit) == ("gross_max", 2.0)


def test_max_positions_rejects_a_ninth_name_but_not_adding_to_a_held_one() -> None:
    held = book(*[(f"H{i}", "core", f"s{i}", 5.0) for i in range(8)])

    new = assess(order(size=0.05), held, GUARDRAILS)
    add = assess(order("H0", size=0.05, sector="s0"), held, GUARDRAILS)

    assert (new.status, new.binding, new.limit) == ("rejected", "max_positions", 8.0)
    assert add.status == "approved"


def test_zero_notional_holdings_are_not_positions() -> None:
    held = book(*[(f"H{i}", "core", f"s{i}", 5.0) for i in range(7)], ("GONE", "core", "s8", 0.0))

    verdict = assess(order(size=0.05), held, GUARDRAILS)

    assert verdict.status == "approved"
