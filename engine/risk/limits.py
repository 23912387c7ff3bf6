"""Effective risk limits: the configured caps (percent of NAV) resolved for a rollout mode into fractions.

The clamp (``engine.risk.clamp``) only ever sees a ``Limits``: every cap is a fraction of NAV, the rollout
stage of seed 001's Go-Live Runbook is already applied, and the regime auditor's ``bucket_caps_delta``
already tightened the bucket caps. Resolve once per config / mode / policy change, never per order.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import msgspec

from engine.config import PennyRule, RiskConfig

BUCKET_NAMES: tuple[str, ...] = ("core", "penny", "fno")
"""Risk buckets of seed 001's 4-bucket capital limits that hold positions (SIP is a ledger, not a book)."""


class ModeScale(msgspec.Struct, kw_only=True, frozen=True):
    """How a rollout mode scales the configured caps.

    Parameters
    ----------
    core, penny, fno : float
        Factor applied to that bucket's per-name cap and bucket cap.
    long_only : bool
        Shorts forbidden in this mode (whatever the policy says).
    fno_allowed : bool
        Whether the F&O bucket may open or grow positions.
    """

    core: float = 1.0
    penny: float = 1.0
    fno: float = 1.0
    long_only: bool = False
    fno_allowed: bool = True


MODE_SCALES: dict[str, ModeScale] = {
    # Day 1-5: paper trading at full caps.
    "demo": ModeScale(),
    # Day 6 "Live Micro": 25 % of caps, no shorts or options.
    "micro": ModeScale(core=0.25, penny=0.25, fno=0.25, long_only=True, fno_allowed=False),
    # Day 7 "Live Limited": full core bucket, penny and F&O at half caps.
    "limited": ModeScale(core=1.0, penny=0.5, fno=0.5),
    # After promotion.
    "full": ModeScale(),
}
"""Rollout stages of seed 001 ("Go-Live Runbook (7 Days)") keyed by ``schemas.common.Mode``."""


class Limits(msgspec.Struct, kw_only=True, frozen=True):
    """Every limit the pre-submit clamp enforces, as fractions of NAV (0.015 is 1.5 %).

    Parameters
    ----------
    per_name : dict[str, float]
        Per-name cap by bucket (``core``, ``penny``, ``fno``) on |delta-equivalent notional| / NAV.
        Zero means no exposure at all in that bucket (not "off").
    bucket : dict[str, float]
        Bucket cap by bucket on the gross (sum of |exposure|) within the bucket.
    single_name : float
        Cap on any one name's |exposure| whatever its bucket; 0 switches it off.
    top_n : int
        How many of the largest names ``top_n_frac`` covers.
    top_n_frac : float
        Cap on the sum of the ``top_n`` largest |exposure|; 0 switches it off.
    sector_gross, sector_net : float
        Caps on a sector's gross and |net| exposure; 0 switches each off.
    gross_max : float
        Cap on total gross exposure; 0 switches it off.
    gross_min : float
        Target minimum gross exposure: monitored, never enforced by the clamp.
    net_max_abs : float
        Cap on |total net exposure|; 0 switches it off.
    max_positions : int
        Most names held at once; 0 switches it off.
    long_only : bool
        No short exposure may be opened or grown.
    fno_allowed : bool
        The F&O bucket may open or grow positions.
    do_not_trade : frozenset[str]
        Instruments that may only be reduced.
    penny : PennyRule
        Eligibility rule of the penny bucket (venue, minimum price, minimum ADV).
    trim_buffer : float
        A position drifted above its per-name cap is trimmed to ``cap * (1 - trim_buffer)``.
    entry_buffer : float
        Orders that add exposure are approved up to ``cap * (1 - entry_buffer)`` of the per-name, single-name
        and bucket caps.
    trim_hysteresis : float
        Drift trims fire only above ``cap * (1 + trim_hysteresis)``.
    mode : str
        The rollout mode these limits were resolved for.
    """

    per_name: dict[str, float]
    bucket: dict[str, float]
    single_name: float = 0.0
    top_n: int = 5
    top_n_frac: float = 0.0
    sector_gross: float = 0.0
    sector_net: float = 0.0
    gross_max: float = 0.0
    gross_min: float = 0.0
    net_max_abs: float = 0.0
    max_positions: int = 0
    long_only: bool = False
    fno_allowed: bool = True
    do_not_trade: frozenset[str] = frozenset()
    penny: PennyRule = PennyRule()
    trim_buffer: float = 0.10
    mode: str = "demo"
    entry_buffer: float = 0.0
    trim_hysteresis: float = 0.0

    def name_cap(self, bucket: str) -> float:
        """Effective cap on one name's |exposure| in ``bucket``: its per-name cap and ``single_name``.

        Returns ``inf`` for a bucket without a per-name cap while ``single_name`` is off.
        """
        cap = self.per_name.get(bucket, float("inf"))
        if self.single_name > 0.0 and self.single_name < cap:
            return self.single_name
        return cap


def resolve_limits(
    risk: RiskConfig,
    mode: str,
    *,
    allow_short: bool = True,
    extra_do_not_trade: Iterable[str] = (),
    bucket_caps_delta: Mapping[str, float] | None = None,
) -> Limits:
    """Resolve the configured risk caps for a rollout mode into fractions of NAV.

    Parameters
    ----------
    risk : RiskConfig
        The ``[risk]`` section (its profile overlay already applied by ``load_config``).
    mode : str
        Rollout mode: ``demo``, ``micro``, ``limited`` or ``full`` (see ``MODE_SCALES``).
    allow_short : bool, default True
        The policy's ``allow_short``; ``False`` makes the limits long only in every mode.
    extra_do_not_trade : iterable of str
        Instruments added to ``risk.do_not_trade`` (the regime auditor's ``do_not_trade_list``).
    bucket_caps_delta : mapping of str to float, optional
        The regime auditor's ``bucket_caps_delta`` in fractions of NAV (``{"penny": -0.01}``). Each delta
        is added to the configured bucket cap before the mode scale, and the result is clipped to
        ``[0, configured cap]``: a delta can tighten a hard cap, never loosen it.

    Returns
    -------
    Limits

    Raises
    ------
    ValueError
        Unknown mode, a delta for an unknown bucket, or a non-finite delta.
    """
    scale = MODE_SCALES.get(mode)
    if scale is None:
        raise ValueError(f"unknown mode {mode!r} (expected one of {', '.join(MODE_SCALES)})")
    deltas = dict(bucket_caps_delta or {})
    for name, value in deltas.items():
        if name not in BUCKET_NAMES:
            expected = ", ".join(BUCKET_NAMES)
            raise ValueError(f"bucket_caps_delta: unknown bucket {name!r} (expected {expected})")
        if not math.isfinite(value):
            raise ValueError(f"bucket_caps_delta: {name} delta must be finite, got {value}")
    caps = risk.caps
    factors = {"core": scale.core, "penny": scale.penny, "fno": scale.fno}
    per_name: dict[str, float] = {}
    bucket: dict[str, float] = {}
    for name in BUCKET_NAMES:
        per_name[name] = _fraction(getattr(caps.per_name_pct, name) * factors[name])
        base = getattr(caps.bucket_pct, name)
        tightened = min(base, max(0.0, base + 100.0 * deltas.get(name, 0.0)))
        bucket[name] = _fraction(tightened * factors[name])
    lim = risk.limits
    return Limits(
        per_name=per_name,
        bucket=bucket,
        single_name=_fraction(lim.single_name_pct),
        top_n=lim.top_n,
        top_n_frac=_fraction(lim.top_n_pct),
        sector_gross=_fraction(lim.sector_gross_pct),
        sector_net=_fraction(lim.sector_net_pct),
        gross_max=_fraction(lim.gross_max_pct),
        gross_min=_fraction(lim.gross_min_pct),
        net_max_abs=_fraction(lim.net_max_abs_pct),
        max_positions=lim.max_positions,
        long_only=scale.long_only or not allow_short,
        fno_allowed=scale.fno_allowed,
        do_not_trade=frozenset(risk.do_not_trade).union(extra_do_not_trade),
        penny=risk.penny,
        trim_buffer=_fraction(caps.trim_buffer_pct),
        mode=mode,
        entry_buffer=_fraction(caps.entry_buffer_pct),
        trim_hysteresis=_fraction(caps.trim_hysteresis_pct),
    )


def _fraction(percent: float) -> float:
    # Percent to fraction, rounded to 12 decimals so 0.7 % is 0.007 and not 0.006999999999999999.
    return round(percent / 100.0, 12)
