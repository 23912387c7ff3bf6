"""Deterministic synthetic multi-instrument 1-minute sessions with regimes, a crash and news shocks.

:func:`generate_session` builds everything in memory (with the ground truth: regimes, crash, news);
:func:`synthesize` writes it as a recording. All randomness comes from one
``numpy.random.Generator(PCG64(seed))`` drawn in a fixed order, and every float written is rounded
(prices to the instrument's precision, volumes to its size precision, sentiments to 4 decimals), so the
same seed gives byte-identical files. Time starts at 2024-01-01 00:00 UTC (no wall clock).

Instruments (venue ``SIM``, kind ``crypto_spot``, quote ``USD``, trading 24/7): ``SYNA.SIM`` (~100),
``SYNB.SIM`` (~250), ``SYNC.SIM`` (~40), all bucket ``core``, price precision 2, size precision 3; and
``SYND.SIM``, bucket ``penny``, ~1.50, price precision 4, size precision 0. See
:mod:`adapters.synthetic.market` for the return model and :mod:`adapters.synthetic.news` for news.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from adapters.errors import AdapterError
from adapters.recorded.files import RecordingWriter
from adapters.synthetic.market import (
    MINUTES_PER_DAY,
    REGIME_NAMES,
    CrashInfo,
    InstrumentParams,
    MarketPaths,
    default_universe,
    simulate_market,
)
from adapters.synthetic.news import SCORE_DELAY_S, SCORER, SOURCE, NewsEvent, crash_headline, draw_news
from schemas.market import Bar, NewsRaw, NewsScored
from schemas.recording import InstrumentSpec, Manifest, Payload

__all__ = [
    "DEFAULT_DAYS",
    "DEFAULT_INSTRUMENTS",
    "REGIME_NAMES",
    "START_NS",
    "SyntheticSession",
    "generate_session",
    "synthesize",
]

START_NS = 1_704_067_200 * 1_000_000_000  # 2024-01-01T00:00:00Z
MINUTE_NS = 60 * 1_000_000_000
DAY_NS = MINUTES_PER_DAY * MINUTE_NS
VENUE = "SIM"
DEFAULT_DAYS = 8
DEFAULT_INSTRUMENTS = 4
MAX_BARS = 2_000_000


@dataclass(frozen=True)
class SyntheticSession:
    """A generated session and its ground truth.

    Attributes
    ----------
    seed
        The generator seed.
    instruments
        Specs, in universe order.
    payloads
        Bars, raw and scored news (unsorted; the writer sorts).
    paths
        Minute OHLCV arrays, regimes per minute, crash and breakdown placement.
    news
        The headlines with their true sentiment and jump.
    """

    seed: int
    instruments: tuple[InstrumentSpec, ...]
    payloads: tuple[Payload, ...]
    paths: MarketPaths
    news: tuple[NewsEvent, ...]

    @property
    def crash(self) -> CrashInfo:
        """Crash day, first minute, length and market log move."""
        return self.paths.crash

    def notes(self) -> str:
        """One-paragraph description stored in the manifest."""
        crash = self.crash
        day = f"2024-01-{crash.day + 1:02d}"
        start_h = (crash.start_minute % MINUTES_PER_DAY) / 60
        counts = {name: int((self.paths.regimes == code).sum()) for code, name in enumerate(REGIME_NAMES)}
        return (
            f"synthetic 1-minute session, factor model; hourly Markov regimes (minutes per regime {counts}); "
            f"crash on {day} from {start_h:05.2f}h UTC for {crash.minutes} min, market log move "
            f"{crash.log_move:.4f}; correlation breakdown from minute {self.paths.breakdown_start_minute} "
            f"for 360 min; {sum(1 for n in self.news if n.jump != 0.0)} news shocks, "
            f"{sum(1 for n in self.news if n.jump == 0.0)} other headlines"
        )


def _spec(params: InstrumentParams) -> InstrumentSpec:
    return InstrumentSpec(
        instrument_id=f"{params.symbol}.{VENUE}", kind="crypto_spot", base_currency=params.symbol,
        quote_currency="USD", price_precision=params.price_precision, size_precision=params.size_precision,
        bucket=params.bucket, sector=params.sector, bar_interval_s=60,
    )  # fmt: skip


def _bars(specs: list[InstrumentSpec], paths: MarketPaths) -> list[Payload]:
    bars: list[Payload] = []
    columns = [a.T.tolist() for a in (paths.open, paths.high, paths.low, paths.close, paths.volume)]
    for index, spec in enumerate(specs):
        o, h, lo, c, v = (col[index] for col in columns)
        iid = spec.instrument_id
        bars.extend(
            Bar(instrument=iid, interval_s=60, ts_event=START_NS + (t + 1) * MINUTE_NS,
                open=o[t], high=h[t], low=lo[t], close=c[t], volume=v[t])
            for t in range(len(o))
        )  # fmt: skip
    return bars


def _news_payloads(specs: list[InstrumentSpec], events: list[NewsEvent]) -> list[Payload]:
    payloads: list[Payload] = []
    for event in events:
        ts = START_NS + event.minute * MINUTE_NS + event.offset_s * 1_000_000_000
        targets = specs if event.instrument < 0 else [specs[event.instrument]]
        payloads.append(NewsRaw(source=SOURCE, ts_event=ts, headline=event.headline,
                                instruments=tuple(s.instrument_id for s in targets)))  # fmt: skip
        payloads.extend(
            NewsScored(source=SOURCE, ts_event=ts + SCORE_DELAY_S * 1_000_000_000, instrument=s.instrument_id,
                       headline=event.headline, sentiment=event.sentiment, relevance=event.relevance,
                       scorer=SCORER)
            for s in targets
        )  # fmt: skip
    return payloads


def generate_session(
    seed: int, *, days: int = DEFAULT_DAYS, n_instruments: int = DEFAULT_INSTRUMENTS
) -> SyntheticSession:
    """Generate a synthetic session in memory.

    Parameters
    ----------
    seed
        Seed of ``numpy.random.Generator(PCG64(seed))``.
    days
        Number of 24-hour days of 1-minute bars (at least 2).
    n_instruments
        Number of instruments (at least 1); the first four are fixed, see the module docstring.

    Returns
    -------
    SyntheticSession
        Payloads, specs and ground truth.

    Raises
    ------
    AdapterError
        ``days`` or ``n_instruments`` out of range.
    """
    if days < 2 or n_instruments < 1:
        raise AdapterError(
            f"need days >= 2 and instruments >= 1 (got days={days}, instruments={n_instruments})"
        )
    if days * MINUTES_PER_DAY * n_instruments > MAX_BARS:
        raise AdapterError(f"{days} days x {n_instruments} instruments exceeds {MAX_BARS:,} bars")
    rng = np.random.Generator(np.random.PCG64(seed))
    universe = default_universe(n_instruments, rng)
    events, jumps = draw_news(universe, days, rng)
    paths = simulate_market(universe, days, jumps, rng)
    events.append(crash_headline(paths.crash.start_minute, paths.crash.log_move))
    events.sort(key=lambda e: (e.minute, e.offset_s, e.instrument))
    specs = [_spec(p) for p in universe]
    payloads = _bars(specs, paths) + _news_payloads(specs, events)
    return SyntheticSession(seed, tuple(specs), tuple(payloads), paths, tuple(events))


def synthesize(
    seed: int,
    out_dir: Path | str,
    *,
    days: int = DEFAULT_DAYS,
    n_instruments: int = DEFAULT_INSTRUMENTS,
    overwrite: bool = False,
) -> Manifest:
    """Generate a synthetic session and write it as a recording.

    Parameters
    ----------
    seed
        Generator seed; the same seed gives byte-identical files.
    out_dir
        Recording directory.
    days, n_instruments
        As for :func:`generate_session` (defaults: 8 days, 4 instruments = 46,080 bars).
    overwrite
        Replace a recording already in ``out_dir``.

    Returns
    -------
    Manifest
        With ``synthetic=True`` and ``source="synthetic:seed=N"``.

    Raises
    ------
    AdapterError
        ``seed`` is negative (numpy's generators take seeds of 0 or more).
    """
    if seed < 0:
        raise AdapterError(f"--seed must be 0 or more, got {seed}")
    session = generate_session(seed, days=days, n_instruments=n_instruments)
    writer = RecordingWriter(
        out_dir,
        source=f"synthetic:seed={seed}",
        synthetic=True,
        instruments=session.instruments,
        notes=session.notes(),
        overwrite=overwrite,
    )
    writer.extend(session.payloads)
    return writer.close()
