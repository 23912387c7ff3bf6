"""Hard risk clamps (seed 001 "Hard Risk Clamps", seed 003 guardrails, seed 000 long/short limits).

``assess`` sizes one order against the book: for every active constraint it computes the largest order
that keeps the book after the fill within the limit, and approves the smallest of those and the request.
``drift_trims`` runs every bar and trims positions whose price drift took them above their per-name cap.

Units: exposures are signed delta-equivalent notionals divided by NAV (0.015 is 1.5 % of NAV, long > 0).
An order of size ``x`` (fraction of NAV) changes its instrument's exposure by ``side * delta * x``.

Every constraint value ``V(y)`` (``y`` >= 0 the exposure change in the order's direction) is convex in
``y``. The order may go as far as ``sup {y : V(y) <= max(L, min V)}``: up to the limit ``L`` when it is
reachable, else (the book is already in breach and this order cannot cure it) as far as the order
improves the constraint, never past it. So a position in breach can always be reduced, and no order
ever makes a constraint worse than ``max(L, V before)``. With ``u`` the instrument's exposure in the
order's direction (negative when the order reduces it) and ``V = K + |u + y|``, that is
``y_max = max(L, K + max(u, 0)) - K - u``.

Eligibility gates (do-not-trade, F&O disabled, penny rule, long only) only stop new exposure: an order
that reduces a position is allowed down to flat, never through it.
"""

from __future__ import annotations

import heapq
import math
from typing import Literal

import msgspec

from engine.risk.book import Book
from engine.risk.limits import Limits
from engine.risk.penny import penny_reason

CLAMP_NAMES: tuple[str, ...] = (
    "per_name_cap",
    "bucket_cap",
    "single_name",
    "top_n",
    "sector_gross",
    "sector_net",
    "gross_max",
    "net_max",
    "max_positions",
    "long_only",
    "fno_disabled",
    "do_not_trade",
    "penny_venue",
    "penny_price",
    "penny_adv",
    "unknown_bucket",
    "bad_price",
    "nav_nonpositive",
    "blocked",
    "bad_request",
    "reduce_only",
    "min_size",
)
"""Every ``Verdict.binding`` assess can produce, besides a caller's own ``blocked=`` reason."""

_NAN = math.nan
_INF = math.inf


class OrderRequest(msgspec.Struct, kw_only=True, frozen=True):
    """An order the strategy wants, before risk.

    Parameters
    ----------
    instrument : str
        Instrument id.
    bucket : str
        Risk bucket: ``core``, ``penny`` or ``fno``.
    sector : str, default ""
        Sector for the sector limits; empty skips them.
    side : int
        +1 buy, -1 sell.
    size : float
        Requested size as a fraction of NAV (>= 0); for F&O the notional of the contracts.
    price : float
        Last price in the quote currency (> 0); the penny rule reads it.
    venue : str, default ""
        Listing venue (the penny rule reads it).
    adv : float, default nan
        Average daily traded value in the quote currency (``DailyValueTracker.adv``); nan if unknown.
    delta : float, default 1.0
        Exposure per unit of size: 1 for cash equity, the option delta for options (non-zero).
    reduce_only : bool, default False
        Only reduce the current position (exits, stops): approved up to flat, never through it.
    """

    instrument: str
    bucket: str
    sector: str = ""
    side: int
    size: float
    price: float
    venue: str = ""
    adv: float = math.nan
    delta: float = 1.0
    reduce_only: bool = False


class Verdict(msgspec.Struct, kw_only=True, frozen=True):
    """The clamp's answer for one order.

    Parameters
    ----------
    requested : float
        The requested size (fraction of NAV).
    approved : float
        The size that may be sent (fraction of NAV, in the request's units); 0.0 when rejected.
    status : {"approved", "reduced", "rejected"}
        ``approved`` in full, ``reduced`` below the request, or ``rejected`` (below ``min_size``).
    binding : str, default ""
        The limit that bound (one of ``CLAMP_NAMES``) or the caller's ``blocked`` reason.
    limit : float, default nan
        The binding limit's value (fraction of NAV, price, ADV or position count); nan when none.
    """

    requested: float
    approved: float
    status: Literal["approved", "reduced", "rejected"]
    binding: str = ""
    limit: float = math.nan


class Trim(msgspec.Struct, kw_only=True, frozen=True):
    """A position to cut back to within its per-name cap (signed fractions of NAV).

    Parameters
    ----------
    instrument : str
        Instrument id.
    current : float
        Current signed exposure.
    target : float
        Signed exposure to trim to: ``sign * cap * (1 - trim_buffer)``.
    """

    instrument: str
    current: float
    target: float

    @property
    def side(self) -> int:
        """+1 (buy) or -1 (sell): the side of the trim order."""
        return 1 if self.target > self.current else -1

    @property
    def size(self) -> float:
        """Size of the trim order as a fraction of NAV (delta-equivalent)."""
        return abs(self.current - self.target)


def _reject(requested: float, binding: str, limit: float = _NAN) -> Verdict:
    return Verdict(requested=requested, approved=0.0, status="rejected", binding=binding, limit=limit)


def _room(base: float, u: float, limit: float) -> float:
    # Largest y >= 0 with base + |u + y| <= max(limit, min over y of base + |u + y|).
    floor = base + u if u > 0.0 else base
    room = (limit if limit > floor else floor) - base - u
    return room if room > 0.0 else 0.0


def assess(
    request: OrderRequest,
    book: Book,
    limits: Limits,
    *,
    blocked: str = "",
    min_size: float = 1e-9,
) -> Verdict:
    """Size one order against every active limit.

    Parameters
    ----------
    request : OrderRequest
        The order before risk.
    book : Book
        NAV and holdings right now (the instrument's own holding included).
    limits : Limits
        Resolved limits (``resolve_limits``).
    blocked : str, default ""
        Non-empty rejects the order with this reason (``"kill_switch_halted"``, ``"data_stall"``,
        ``"quarantine"``): callers pass it for entries, not for the flattens and stops they must send.
    min_size : float, default 1e-9
        An approval below this (fraction of NAV) is a rejection.

    Returns
    -------
    Verdict
        ``binding`` names the tightest limit when the order was reduced or rejected; on a tie, the
        first in the order do_not_trade, fno_disabled, penny, long_only, max_positions, per_name_cap,
        single_name, bucket_cap, top_n, sector_gross, sector_net, gross_max, net_max.

    Notes
    -----
    Checked before any sizing, in this order: ``blocked``, ``bad_request`` (side not +-1, size negative
    or not finite, delta zero or not finite), ``nav_nonpositive``, ``unknown_bucket``, ``bad_price``,
    ``min_size`` (the request itself is below ``min_size``).

    A ``reduce_only`` request is sized against its own position only: approved up to flat (binding
    ``reduce_only`` when reduced), rejected ``reduce_only`` when it would not reduce; portfolio limits
    (net, sector net) never block an exit. A reducing request that is not ``reduce_only`` goes through
    every limit, so it may be cut by the net limits.

    The top-n limit is on the sum of the n largest |exposure| as a fraction of NAV (not of gross).
    """
    req = request.size
    if blocked:
        return _reject(req, blocked)
    side = request.side
    delta = request.delta
    if (side != 1 and side != -1) or not (0.0 <= req < _INF) or delta == 0.0 or not math.isfinite(delta):
        return _reject(req, "bad_request")
    nav = book.nav
    if not (0.0 < nav < _INF):
        return _reject(req, "nav_nonpositive")
    bucket = request.bucket
    name_cap = limits.per_name.get(bucket)
    bucket_cap = limits.bucket.get(bucket)
    if name_cap is None or bucket_cap is None:
        return _reject(req, "unknown_bucket")
    price = request.price
    if not (0.0 < price < _INF):
        return _reject(req, "bad_price")
    if req < min_size:
        return _reject(req, "min_size", min_size)

    # One pass over the book: the instrument's own exposure and the aggregates of all other holdings.
    instrument = request.instrument
    sector = request.sector
    top_n = limits.top_n if limits.top_n_frac > 0.0 else 0
    others: list[float] = []
    own = gross = net = bucket_gross = sector_gross = sector_net = 0.0
    held = 0
    for h in book.holdings:
        v = h.notional
        if h.instrument == instrument:
            own += v
            continue
        a = v if v >= 0.0 else -v
        gross += a
        net += v
        if v != 0.0:
            held += 1
        if h.bucket == bucket:
            bucket_gross += a
        if sector and h.sector == sector:
            sector_gross += a
            sector_net += v
        if top_n:
            others.append(a)
    inv = 1.0 / nav
    e = own / nav  # exactly the holding's own notional / NAV, so reducing to flat never overshoots
    d = side if delta > 0.0 else -side
    u = d * e
    ad = delta if delta > 0.0 else -delta
    reducible = (-u if u < 0.0 else 0.0) / ad

    if request.reduce_only:
        if reducible <= 0.0:
            return _reject(req, "reduce_only", 0.0)
        if req <= reducible:
            return Verdict(requested=req, approved=req, status="approved")
        return _verdict(req, reducible, "reduce_only", reducible, min_size)

    best = req
    binding = ""
    limit = _NAN
    # Gates: no new exposure, reductions down to flat.
    if instrument in limits.do_not_trade and reducible < best:
        best, binding, limit = reducible, "do_not_trade", _NAN
    if bucket == "fno" and not limits.fno_allowed and reducible < best:
        best, binding, limit = reducible, "fno_disabled", _NAN
    if bucket == "penny" and reducible < best:
        reason = penny_reason(request, limits.penny)
        if reason:
            rule = limits.penny
            value = _NAN
            if reason == "penny_price":
                value = rule.min_price
            elif reason == "penny_adv":
                value = rule.min_adv
            best, binding, limit = reducible, reason, value
    if limits.long_only and d < 0 and reducible < best:
        best, binding, limit = reducible, "long_only", 0.0
    if limits.max_positions > 0 and own == 0.0 and held >= limits.max_positions and best > 0.0:
        best, binding, limit = 0.0, "max_positions", float(limits.max_positions)

    # Caps: the largest exposure change that keeps the book after the order within each limit; the entry
    # buffer keeps a new position below the caps so the next favourable tick does not trigger a trim.
    keep = 1.0 - limits.entry_buffer
    if keep != 1.0:
        name_cap = name_cap * keep
        bucket_cap = bucket_cap * keep
    x = _room(0.0, u, name_cap) / ad
    if x < best:
        best, binding, limit = x, "per_name_cap", name_cap
    cap = limits.single_name * keep
    if cap > 0.0:
        x = _room(0.0, u, cap) / ad
        if x < best:
            best, binding, limit = x, "single_name", cap
    x = _room(bucket_gross * inv, u, bucket_cap) / ad
    if x < best:
        best, binding, limit = x, "bucket_cap", bucket_cap
    if top_n:
        largest = heapq.nlargest(top_n, others)
        t = sum(largest[: top_n - 1]) * inv
        nth = largest[top_n - 1] * inv if len(largest) >= top_n else 0.0
        # V(y) = t + max(|u + y|, nth): its minimum is t + max(u, 0, nth), its right root u + y = T - t.
        cap = limits.top_n_frac
        floor = t + max(u, 0.0, nth)
        room = (cap if cap > floor else floor) - t - u
        x = (room if room > 0.0 else 0.0) / ad
        if x < best:
            best, binding, limit = x, "top_n", cap
    if sector:
        cap = limits.sector_gross
        if cap > 0.0:
            x = _room(sector_gross * inv, u, cap) / ad
            if x < best:
                best, binding, limit = x, "sector_gross", cap
        cap = limits.sector_net
        if cap > 0.0:
            x = _room(0.0, d * (sector_net * inv + e), cap) / ad
            if x < best:
                best, binding, limit = x, "sector_net", cap
    cap = limits.gross_max
    if cap > 0.0:
        x = _room(gross * inv, u, cap) / ad
        if x < best:
            best, binding, limit = x, "gross_max", cap
    cap = limits.net_max_abs
    if cap > 0.0:
        x = _room(0.0, d * (net * inv + e), cap) / ad
        if x < best:
            best, binding, limit = x, "net_max", cap

    if not binding:
        return Verdict(requested=req, approved=req, status="approved")
    return _verdict(req, best, binding, limit, min_size)


def _verdict(req: float, approved: float, binding: str, limit: float, min_size: float) -> Verdict:
    if approved < min_size:
        return _reject(req, binding, limit)
    return Verdict(requested=req, approved=approved, status="reduced", binding=binding, limit=limit)


def drift_trims(book: Book, limits: Limits, *, rel_tol: float = 1e-9) -> tuple[Trim, ...]:
    """Positions that drifted above their effective per-name cap or whose bucket drifted above its bucket
    cap, with their trim targets.

    The effective cap is the bucket's per-name cap, tightened by ``single_name`` when that is on; a
    holding in a bucket without a per-name cap is held to ``single_name`` only. A bucket over its cap
    (after the per-name trims) has every one of its names scaled down to ``bucket cap * (1 - trim_buffer)``.

    Parameters
    ----------
    book : Book
        NAV and holdings marked at the latest prices.
    limits : Limits
        Resolved limits.
    rel_tol : float, default 1e-9
        Relative tolerance above the cap before a trim (rounding of a fill sized exactly at the cap), on top
        of ``limits.trim_hysteresis``.

    Returns
    -------
    tuple[Trim, ...]
        One trim per holding to cut, in book order; target ``sign * cap * (1 - trim_buffer)`` or its share
        of the bucket cap;
        empty when NAV is not positive (the exposure is undefined: the kill switch owns that case).
    """
    nav = book.nav
    if not (0.0 < nav < _INF):
        return ()
    keep = 1.0 - limits.trim_buffer
    trigger = (1.0 + limits.trim_hysteresis) * (1.0 + rel_tol)
    current = {h.instrument: h.notional / nav for h in book.holdings}
    target = dict(current)
    bucket_gross: dict[str, float] = {}
    for h in book.holdings:
        e = current[h.instrument]
        cap = limits.name_cap(h.bucket)
        if abs(e) > cap * trigger:
            target[h.instrument] = math.copysign(cap * keep, e)
        bucket_gross[h.bucket] = bucket_gross.get(h.bucket, 0.0) + abs(target[h.instrument])
    for bucket, gross in bucket_gross.items():
        cap = limits.bucket.get(bucket, _INF)
        if gross > cap * trigger:  # the bucket drifted over its cap: scale its names down evenly
            scale = cap * keep / gross
            for h in book.holdings:
                if h.bucket == bucket:
                    target[h.instrument] *= scale
    return tuple(
        Trim(instrument=h.instrument, current=current[h.instrument], target=target[h.instrument])
        for h in book.holdings
        if target[h.instrument] != current[h.instrument]
    )
