"""The pre-submit clamp: eligibility gates, rejections before sizing, reduce-only orders, drift trims.

NAV is 100,000 everywhere, so a notional of 1,000 is 1 % of NAV.
"""

from __future__ import annotations

import math

import msgspec
import pytest
from risk_clamp_cases import GUARDRAILS, LONG_SHORT, MICRO, RUNBOOK, book, order

from engine.config import RiskConfig
from engine.risk.clamp import CLAMP_NAMES, Trim, assess, drift_trims
from engine.risk.limits import Limits, resolve_limits

# -- gates ----------------------------------------------------------------------------------------


def test_micro_sell_from_flat_is_rejected_long_only() -> None:
    verdict = assess(order(size=0.001, side=-1), book(), MICRO)

    assert (verdict.status, verdict.approved, verdict.binding) == ("rejected", 0.0, "long_only")


def test_micro_sell_of_a_long_is_capped_at_flat() -> None:
    held = book(("A", "core", "", 0.3))

    within = assess(order("A", size=0.002, side=-1), held, MICRO)
    through = assess(order("A", size=0.005, side=-1), held, MICRO)

    assert within.status == "approved"
    assert (through.status, through.binding) == ("reduced", "long_only")
    assert through.approved == pytest.approx(0.003)


def test_micro_core_cap_is_a_quarter_of_1_5_percent() -> None:
    verdict = assess(order(size=0.01), book(), MICRO)

    assert (verdict.approved, verdict.binding) == (0.00375, "per_name_cap")


def test_micro_rejects_new_fno_but_lets_an_fno_position_close() -> None:
    held = book(("OPT", "fno", "", 0.5))

    new = assess(order(size=0.001, bucket="fno"), held, MICRO)
    close = assess(order("OPT", size=0.005, side=-1, bucket="fno"), held, MICRO)

    assert (new.status, new.binding) == ("rejected", "fno_disabled")
    assert (close.status, close.approved) == ("approved", 0.005)


def test_do_not_trade_rejects_a_buy_and_caps_a_sell_at_flat() -> None:
    limits = resolve_limits(RiskConfig(), "demo", extra_do_not_trade=["BAD.TO"])
    held = book(("BAD.TO", "core", "", 1.0))

    buy = assess(order("BAD.TO", size=0.001), held, limits)
    sell = assess(order("BAD.TO", size=0.02, side=-1), held, limits)

    assert (buy.status, buy.binding) == ("rejected", "do_not_trade")
    assert (sell.status, sell.binding) == ("reduced", "do_not_trade")
    assert sell.approved == pytest.approx(0.01)


@pytest.mark.parametrize(
    ("fields", "binding", "limit"),
    [
        ({"venue": "TSX", "price": 1.0, "adv": 1e6}, "penny_venue", math.nan),
        ({"venue": "TSXV", "price": 0.20, "adv": 1e6}, "penny_price", 0.25),
        ({"venue": "TSXV", "price": 1.0, "adv": 150_000.0}, "penny_adv", 200_000.0),
        ({"venue": "TSXV", "price": 1.0}, "penny_adv", 200_000.0),
    ],
)
def test_ineligible_penny_orders_are_rejected(fields: dict[str, object], binding: str, limit: float) -> None:
    verdict = assess(order(size=0.002, bucket="penny", **fields), book(), RUNBOOK)

    assert (verdict.status, verdict.binding) == ("rejected", binding)
    assert verdict.limit == limit or (math.isnan(verdict.limit) and math.isnan(limit))


def test_penny_name_below_min_price_may_still_be_sold() -> None:
    held = book(("P", "penny", "", 0.3))

    verdict = assess(order("P", size=0.003, side=-1, bucket="penny", venue="TSXV", price=0.1), held, RUNBOOK)

    assert verdict.status == "approved"


# -- rejections before sizing ---------------------------------------------------------------------


def test_blocked_rejects_with_the_callers_reason() -> None:
    verdict = assess(order(), book(), RUNBOOK, blocked="kill_switch_halted")

    assert (verdict.status, verdict.approved, verdict.binding) == ("rejected", 0.0, "kill_switch_halted")


def test_unknown_bucket_is_rejected() -> None:
    assert assess(order(bucket="sip"), book(), RUNBOOK).binding == "unknown_bucket"


@pytest.mark.parametrize("price", [0.0, -1.0, math.nan, math.inf])
def test_bad_price_is_rejected(price: float) -> None:
    assert assess(order(price=price), book(), RUNBOOK).binding == "bad_price"


@pytest.mark.parametrize("nav", [0.0, -5_000.0, math.nan])
def test_non_positive_nav_is_rejected(nav: float) -> None:
    assert assess(order(), book(nav=nav), RUNBOOK).binding == "nav_nonpositive"


@pytest.mark.parametrize(
    "fields", [{"side": 0}, {"size": -0.01}, {"size": math.nan}, {"delta": 0.0}, {"delta": math.nan}]
)
def test_malformed_request_is_rejected(fields: dict[str, object]) -> None:
    assert assess(order(**fields), book(), RUNBOOK).binding == "bad_request"


def test_request_below_min_size_is_rejected() -> None:
    verdict = assess(order(size=0.0), book(), RUNBOOK)

    assert (verdict.status, verdict.binding, verdict.limit) == ("rejected", "min_size", 1e-9)


def test_approval_below_min_size_is_a_rejection_by_the_binding_limit() -> None:
    held = book(("A", "core", "", 1.4999))

    verdict = assess(order("A", size=0.01), held, RUNBOOK, min_size=0.0001)

    assert (verdict.status, verdict.approved, verdict.binding) == ("rejected", 0.0, "per_name_cap")


# -- reduce only ----------------------------------------------------------------------------------


def test_reduce_only_sell_of_a_1_percent_long_is_capped_at_1_percent() -> None:
    verdict = assess(order("A", size=0.05, side=-1, reduce_only=True), book(("A", "core", "", 1.0)), RUNBOOK)

    assert (verdict.status, verdict.binding) == ("reduced", "reduce_only")
    assert verdict.approved == pytest.approx(0.01)


def test_reduce_only_ignores_caps_that_a_reduction_cannot_worsen_by_design() -> None:
    # Arrange: net already at the long/short limit's short edge; selling a long makes net shorter
    held = book(("A", "core", "", 1.0), ("B", "core", "", -5.0), ("C", "core", "", -1.0))

    # Act
    verdict = assess(order("A", size=0.01, side=-1, reduce_only=True), held, LONG_SHORT)

    # Assert: a stop or exit is never blocked by a portfolio limit
    assert verdict.status == "approved"


@pytest.mark.parametrize(("held", "side"), [((), -1), ((("A", "core", "", 1.0),), 1)])
def test_reduce_only_with_nothing_to_reduce_is_rejected(held: tuple, side: int) -> None:
    verdict = assess(order("A", size=0.01, side=side, reduce_only=True), book(*held), RUNBOOK)

    assert (verdict.status, verdict.binding) == ("rejected", "reduce_only")


def test_every_binding_is_in_the_vocabulary() -> None:
    assert len(set(CLAMP_NAMES)) == len(CLAMP_NAMES)
    assert {"per_name_cap", "bucket_cap", "top_n", "penny_adv", "blocked"} <= set(CLAMP_NAMES)


# -- drift trims ----------------------------------------------------------------------------------


def test_drift_above_the_cap_trims_to_ten_percent_below_it() -> None:
    held = book(("UP", "core", "", 2.0), ("DOWN", "core", "", -1.6), ("OK", "core", "", 1.5))

    trims = drift_trims(held, RUNBOOK)

    assert [t.instrument for t in trims] == ["UP", "DOWN"]
    assert trims[0].current == pytest.approx(0.02)
    assert trims[0].target == pytest.approx(0.0135)
    assert (trims[0].side, trims[0].size) == (-1, pytest.approx(0.0065))
    assert trims[1].target == pytest.approx(-0.0135)
    assert trims[1].side == 1


def test_drift_trims_use_the_tighter_single_name_cap() -> None:
    limits = msgspec.structs.replace(GUARDRAILS, per_name={**GUARDRAILS.per_name, "core": 0.3})

    trims = drift_trims(book(("BIG", "core", "", 28.0)), limits)

    assert len(trims) == 1
    assert isinstance(trims[0], Trim)
    assert (trims[0].instrument, trims[0].current) == ("BIG", 0.28)
    assert trims[0].target == pytest.approx(0.225)


def test_drift_trims_need_a_positive_nav() -> None:
    assert drift_trims(book(("A", "core", "", 5.0), nav=-1.0), RUNBOOK) == ()


def test_drift_trims_skip_buckets_without_a_cap_when_single_name_is_off() -> None:
    limits = Limits(per_name={"core": 0.015}, bucket={"core": 0.9})

    assert drift_trims(book(("X", "other", "", 50.0)), limits) == ()
