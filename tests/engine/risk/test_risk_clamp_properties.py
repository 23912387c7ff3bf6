"""Properties of the clamp against a from-scratch reference of every constraint.

Books are random (often already in breach), limits random, requests random. The reference recomputes
each constraint on the whole book after the order, independently of ``assess``'s closed forms.
"""

from __future__ import annotations

import heapq
import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.config import PennyRule
from engine.risk.book import Book, Holding
from engine.risk.clamp import OrderRequest, Verdict, assess, drift_trims
from engine.risk.limits import Limits

BUCKETS = ("core", "penny", "fno")
SECTORS = ("", "tech", "energy")
NAMES = tuple(f"I{i}" for i in range(8))
MIN_SIZE = 1e-7
TOL = 1e-9
EPS = 1e-6
PROPS = settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PRE_SIZING = {"bad_request", "nav_nonpositive", "unknown_bucket", "bad_price", "min_size", "reduce_only"}


def off_or(low: float, high: float) -> st.SearchStrategy[float]:
    return st.one_of(st.just(0.0), st.floats(low, high))


FOCUS = (
    "per_name",
    "bucket",
    "single_name",
    "top_n",
    "sector_gross",
    "sector_net",
    "gross_max",
    "net_max",
    "max_positions",
    "long_only",
    "do_not_trade",
    "fno",
    "penny",
)
OPEN_PENNY = PennyRule(venues=("TSXV", "TSX"), min_price=0.0, min_adv=0.0)


@st.composite
def limits_strategy(draw: st.DrawFn) -> Limits:
    """Half the time every limit at random; else exactly one limit active, so each one binds often."""
    focus = draw(st.sampled_from(("all", *FOCUS)))
    if focus == "all":
        return draw(all_limits_strategy())
    wide = dict.fromkeys(BUCKETS, 100.0)
    fields: dict[str, object] = {"per_name": wide, "bucket": dict(wide), "penny": OPEN_PENNY}
    if focus == "per_name":
        fields["per_name"] = {b: draw(st.floats(0.0, 0.3)) for b in BUCKETS}
    elif focus == "bucket":
        fields["bucket"] = {b: draw(st.floats(0.0, 1.0)) for b in BUCKETS}
    elif focus in ("single_name", "top_n", "sector_gross", "sector_net", "gross_max", "net_max"):
        key = {"top_n": "top_n_frac", "net_max": "net_max_abs"}.get(focus, focus)
        fields[key] = draw(st.floats(0.005, 1.0))
        fields["top_n"] = draw(st.integers(1, 5))
    elif focus == "max_positions":
        fields["max_positions"] = draw(st.integers(1, 6))
    elif focus == "long_only":
        fields["long_only"] = True
    elif focus == "do_not_trade":
        fields["do_not_trade"] = frozenset(draw(st.sets(st.sampled_from(NAMES), min_size=1, max_size=4)))
    elif focus == "fno":
        fields["fno_allowed"] = False
    else:
        fields["penny"] = PennyRule()
    return Limits(**fields)  # type: ignore[arg-type]


@st.composite
def all_limits_strategy(draw: st.DrawFn) -> Limits:
    return Limits(
        per_name={b: draw(st.one_of(st.floats(0.0, 0.3), st.just(100.0))) for b in BUCKETS},
        bucket={b: draw(st.one_of(st.floats(0.0, 2.0), st.just(100.0))) for b in BUCKETS},
        single_name=draw(off_or(0.005, 0.3)),
        top_n=draw(st.integers(1, 5)),
        top_n_frac=draw(off_or(0.01, 1.0)),
        sector_gross=draw(off_or(0.01, 0.8)),
        sector_net=draw(off_or(0.01, 0.5)),
        gross_max=draw(off_or(0.05, 3.0)),
        net_max_abs=draw(off_or(0.01, 0.5)),
        max_positions=draw(st.integers(0, 6)),
        long_only=draw(st.booleans()),
        fno_allowed=draw(st.booleans()),
        do_not_trade=frozenset(draw(st.sets(st.sampled_from(NAMES), max_size=2))),
        penny=PennyRule(),
        trim_buffer=draw(st.floats(0.0, 0.5)),
    )


@st.composite
def book_strategy(draw: st.DrawFn) -> Book:
    nav = draw(st.floats(1_000.0, 1e7))
    names = draw(st.lists(st.sampled_from(NAMES), unique=True, max_size=7))
    fraction = st.one_of(st.just(0.0), st.floats(-0.5, 0.5))
    holdings = tuple(
        Holding(
            instrument=name,
            bucket=draw(st.sampled_from(BUCKETS)),
            sector=draw(st.sampled_from(SECTORS)),
            notional=draw(fraction) * nav,
        )
        for name in names
    )
    return Book(nav=nav, holdings=holdings)


@st.composite
def request_strategy(draw: st.DrawFn, book: Book, reduce_only: bool = False) -> OrderRequest:
    instrument = draw(st.sampled_from((*NAMES, "NEW1", "NEW2")))
    held = book.get(instrument)
    bucket = held.bucket if held else draw(st.sampled_from(BUCKETS))
    sector = held.sector if held else draw(st.sampled_from(SECTORS))
    delta = 1.0
    if bucket == "fno":
        delta = draw(st.floats(0.05, 1.0)) * draw(st.sampled_from((1.0, -1.0)))
    return OrderRequest(
        instrument=instrument,
        bucket=bucket,
        sector=sector,
        side=draw(st.sampled_from((1, -1))),
        size=draw(st.one_of(st.floats(0.0, 0.6), st.floats(0.0, 0.01))),
        price=draw(st.floats(0.05, 5.0)),
        venue=draw(st.sampled_from(("TSXV", "TSX"))),
        adv=draw(st.one_of(st.just(math.nan), st.floats(0.0, 1e6))),
        delta=delta,
        reduce_only=reduce_only,
    )


@st.composite
def case_strategy(draw: st.DrawFn, reduce_only: bool = False) -> tuple[Book, Limits, OrderRequest]:
    book = draw(book_strategy())
    return book, draw(limits_strategy()), draw(request_strategy(book, reduce_only))


# -- reference -----------------------------------------------------------------------------------


def exposures_after(book: Book, request: OrderRequest, size: float) -> dict[str, tuple[str, str, float]]:
    """instrument -> (bucket, sector, exposure) after an order of ``size`` fills."""
    out = {h.instrument: (h.bucket, h.sector, h.notional / book.nav) for h in book.holdings}
    _, _, e = out.get(request.instrument, (request.bucket, request.sector, 0.0))
    out[request.instrument] = (request.bucket, request.sector, e + request.side * request.delta * size)
    return out


def penny_eligible(request: OrderRequest, rule: PennyRule) -> bool:
    return request.venue in rule.venues and request.price >= rule.min_price and request.adv >= rule.min_adv


def constraints(
    book: Book, request: OrderRequest, limits: Limits, size: float
) -> dict[str, tuple[float, float]]:
    """name -> (value after the order, limit) for every active constraint."""
    after = exposures_after(book, request, size)
    e = after[request.instrument][2]
    out: dict[str, tuple[float, float]] = {
        "per_name_cap": (abs(e), limits.per_name[request.bucket]),
        "bucket_cap": (
            sum(abs(x) for b, _, x in after.values() if b == request.bucket),
            limits.bucket[request.bucket],
        ),
        "max_positions_held": (sum(1.0 for _, _, x in after.values() if x != 0.0), 0.0),
    }
    if limits.single_name > 0:
        out["single_name"] = (abs(e), limits.single_name)
    if limits.top_n_frac > 0:
        out["top_n"] = (
            sum(heapq.nlargest(limits.top_n, (abs(x) for *_, x in after.values()))),
            limits.top_n_frac,
        )
    if request.sector and limits.sector_gross > 0:
        total = sum(abs(x) for _, s, x in after.values() if s == request.sector)
        out["sector_gross"] = (total, limits.sector_gross)
    if request.sector and limits.sector_net > 0:
        total = sum(x for _, s, x in after.values() if s == request.sector)
        out["sector_net"] = (abs(total), limits.sector_net)
    if limits.gross_max > 0:
        out["gross_max"] = (sum(abs(x) for *_, x in after.values()), limits.gross_max)
    if limits.net_max_abs > 0:
        out["net_max"] = (abs(sum(x for *_, x in after.values())), limits.net_max_abs)
    if limits.max_positions > 0:
        out["max_positions"] = (out["max_positions_held"][0], float(limits.max_positions))
    del out["max_positions_held"]
    if limits.long_only:
        out["long_only"] = (max(0.0, -e), 0.0)
    if request.instrument in limits.do_not_trade:
        out["do_not_trade"] = (abs(e), 0.0)
    if request.bucket == "fno" and not limits.fno_allowed:
        out["fno_disabled"] = (abs(e), 0.0)
    if request.bucket == "penny" and not penny_eligible(request, limits.penny):
        out["penny"] = (abs(e), 0.0)
    return out


def worsened(before: dict[str, tuple[float, float]], after: dict[str, tuple[float, float]]) -> list[str]:
    """Constraints whose value after exceeds both their limit and their value before."""
    return [
        name
        for name, (value, limit) in after.items()
        if value > max(limit, before[name][0]) + TOL * max(1.0, limit)
    ]


def check_shape(verdict: Verdict, request: OrderRequest) -> None:
    assert verdict.requested == request.size
    assert 0.0 <= verdict.approved <= request.size
    if verdict.status == "approved":
        assert verdict.approved == request.size and verdict.binding == ""
    elif verdict.status == "reduced":
        assert MIN_SIZE <= verdict.approved < request.size and verdict.binding
    else:
        assert verdict.approved == 0.0 and verdict.binding


# -- properties ----------------------------------------------------------------------------------


@PROPS
@given(case_strategy())
def test_approved_order_never_makes_a_constraint_worse(case: tuple[Book, Limits, OrderRequest]) -> None:
    book, limits, request = case

    verdict = assess(request, book, limits, min_size=MIN_SIZE)

    check_shape(verdict, request)
    before = constraints(book, request, limits, 0.0)
    after = constraints(book, request, limits, verdict.approved)
    assert worsened(before, after) == []


@PROPS
@given(case_strategy())
def test_non_reducing_order_never_exceeds_per_name_or_bucket_cap(
    case: tuple[Book, Limits, OrderRequest],
) -> None:
    book, limits, request = case

    verdict = assess(request, book, limits, min_size=MIN_SIZE)

    before = constraints(book, request, limits, 0.0)
    after = constraints(book, request, limits, verdict.approved)
    value, cap = after["per_name_cap"]
    if value > before["per_name_cap"][0]:
        assert value <= cap + TOL
    bucket_before, bucket_cap = before["bucket_cap"]
    if bucket_before <= bucket_cap:
        assert after["bucket_cap"][0] <= bucket_cap + TOL * max(1.0, bucket_cap)


@PROPS
@given(case_strategy())
def test_approved_size_is_maximal(case: tuple[Book, Limits, OrderRequest]) -> None:
    book, limits, request = case

    verdict = assess(request, book, limits, min_size=MIN_SIZE)

    if verdict.status == "approved" or verdict.binding in PRE_SIZING:
        return
    at = constraints(book, request, limits, verdict.approved)
    beyond = constraints(book, request, limits, verdict.approved + EPS)
    assert worsened(at, beyond), f"{verdict} could have been larger"


@PROPS
@given(case_strategy(reduce_only=True))
def test_reduce_only_never_grows_or_flips_a_position(case: tuple[Book, Limits, OrderRequest]) -> None:
    book, limits, request = case
    e_before = book.notional_of(request.instrument) / book.nav

    verdict = assess(request, book, limits, min_size=MIN_SIZE)

    check_shape(verdict, request)
    e_after = exposures_after(book, request, verdict.approved)[request.instrument][2]
    assert abs(e_after) <= abs(e_before) + TOL
    assert math.copysign(1.0, e_before) * e_after >= -TOL  # never through flat
    if verdict.status == "reduced":
        assert abs(e_after) <= TOL


@PROPS
@given(book_strategy(), limits_strategy())
def test_drift_trims_target_within_caps(book: Book, limits: Limits) -> None:
    trims = drift_trims(book, limits)

    by_name = {t.instrument: t for t in trims}
    name_capped: dict[str, float] = {}
    for h in book.holdings:
        e = h.notional / book.nav
        cap = limits.name_cap(h.bucket)
        trim = by_name.get(h.instrument)
        if trim is not None:
            assert trim.current == e
            assert trim.target * e >= 0.0 and abs(trim.target) < abs(e)
        if abs(e) > cap * (1.0 + 1e-9):
            assert trim is not None
            assert abs(trim.target) <= cap * (1.0 - limits.trim_buffer) + TOL
            name_capped[h.instrument] = math.copysign(cap * (1.0 - limits.trim_buffer), e)
        else:
            name_capped[h.instrument] = e
    # after the trims every bucket is within its cap; a name within its own cap is only cut for its bucket
    gross_before: dict[str, float] = {}
    gross_after: dict[str, float] = {}
    for h in book.holdings:
        after = by_name[h.instrument].target if h.instrument in by_name else h.notional / book.nav
        gross_before[h.bucket] = gross_before.get(h.bucket, 0.0) + abs(name_capped[h.instrument])
        gross_after[h.bucket] = gross_after.get(h.bucket, 0.0) + abs(after)
    for bucket, gross in gross_after.items():
        cap = limits.bucket.get(bucket, math.inf)
        assert gross <= cap * (1.0 + 1e-9) + TOL
        if gross_before[bucket] <= cap * (1.0 + 1e-9):
            for h in book.holdings:
                if h.bucket == bucket and h.instrument in by_name:
                    assert by_name[h.instrument].target == name_capped[h.instrument]
