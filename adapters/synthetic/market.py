"""Synthetic 1-minute market paths: factor model, Markov regimes, a crash day, intraday seasonality.

Per minute ``t`` and instrument ``i`` the log return is::

    r[t, i] = loading[t, i] * f[t] + idio[t, i] + jump[t, i]
    f[t]    = mu[t] + sigma_f[regime[t]] * season[t] * z_f[t]

(the factor noise is centred over the crash window so the market moves exactly the drawn -9 % to -15 %)
with ``loading = beta_i`` except in the *breakdown* regime, where it collapses to ``0.1 * beta_i`` (the
instruments decorrelate) and during the crash, where it is ``max(beta_i, 1)``. Regimes switch hourly
with a Markov chain (calm / trending / volatile / breakdown); one breakdown stretch and one crash day
are always placed. OHLC come from a 10-step sub-minute bridge that ends at the minute's close, so ``high
>= max(open, close)`` and ``low <= min(open, close)`` hold by construction (and survive rounding, which
is monotone).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MINUTES_PER_DAY = 1440
SUBSTEPS = 10
REGIME_NAMES = ("calm", "trending", "volatile", "breakdown", "crash")
CALM, TRENDING, VOLATILE, BREAKDOWN, CRASH = range(5)

# Hourly Markov transitions between calm, trending, volatile, breakdown.
_TRANSITIONS = np.array(
    [
        [0.90, 0.05, 0.04, 0.01],
        [0.12, 0.84, 0.03, 0.01],
        [0.15, 0.05, 0.78, 0.02],
        [0.20, 0.02, 0.03, 0.75],
    ]
)
_SIGMA_F = np.array([0.0007, 0.0007, 0.0014, 0.0007, 0.0025])  # per minute, by regime
_IDIO_MULT = np.array([1.0, 1.0, 2.0, 1.6, 2.0])
_VOLUME_MULT = np.array([1.0, 1.2, 1.8, 1.3, 5.0])
_TREND_DRIFT = 0.00003  # per minute (about 4 % a day)
_BREAKDOWN_LOADING = 0.1
_BREAKDOWN_HOURS = 6


@dataclass(frozen=True)
class InstrumentParams:
    """Generation parameters of one synthetic instrument."""

    symbol: str
    start_price: float
    beta: float
    idio_sigma: float  # per minute
    base_volume: float  # per minute at mean seasonality
    bucket: str = "core"
    sector: str = "synthetic"
    price_precision: int = 2
    size_precision: int = 3


@dataclass(frozen=True)
class CrashInfo:
    """Where the crash is: day index, first minute, length in minutes and the market log move."""

    day: int
    start_minute: int
    minutes: int
    log_move: float


@dataclass(frozen=True)
class MarketPaths:
    """Generated minute data, arrays shaped ``(minutes, instruments)`` unless noted."""

    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    regimes: np.ndarray  # (minutes,) codes into REGIME_NAMES
    crash: CrashInfo
    breakdown_start_minute: int


def default_universe(count: int, rng: np.random.Generator) -> list[InstrumentParams]:
    """The instruments: SYNA (100), SYNB (250), SYNC (40), SYND (penny, ~1.50), then random extras.

    SYND is in the ``penny`` bucket with price precision 4 (a 0.01 tick on a 1.50 price would be
    0.7 %). Extra instruments (``count > 4``) are named ``SYNE``... ``SYNZ`` then ``SY027``...
    """
    fixed = [
        InstrumentParams("SYNA", 100.0, 1.00, 0.00035, 40.0, sector="synthetic-tech"),
        InstrumentParams("SYNB", 250.0, 0.85, 0.00030, 12.0, sector="synthetic-finance"),
        InstrumentParams("SYNC", 40.0, 1.20, 0.00045, 90.0, sector="synthetic-energy"),
        InstrumentParams("SYND", 1.50, 1.10, 0.00060, 5000.0, bucket="penny", sector="synthetic-biotech",
                         price_precision=4, size_precision=0),
    ]  # fmt: skip
    universe = fixed[:count]
    for index in range(len(universe), count):
        letter = chr(ord("A") + index)
        symbol = f"SYN{letter}" if index < 26 else f"SY{index + 1:03d}"
        universe.append(
            InstrumentParams(
                symbol,
                start_price=round(float(rng.uniform(10.0, 300.0)), 2),
                beta=round(float(rng.uniform(0.7, 1.3)), 3),
                idio_sigma=round(float(rng.uniform(0.0003, 0.0005)), 6),
                base_volume=round(float(rng.uniform(10.0, 100.0)), 1),
            )
        )
    return universe


def intraday_season(minutes: int) -> np.ndarray:
    """Activity multiplier by minute of day (mean 1): peaks at the Europe open and the US session."""
    hour = (np.arange(minutes) % MINUTES_PER_DAY) / 60.0
    shape = 0.7 + 0.3 * np.exp(-(((hour - 8.0) / 1.5) ** 2)) + 0.8 * np.exp(-(((hour - 15.0) / 2.0) ** 2))
    return shape / shape.mean()


def _place_events(days: int, rng: np.random.Generator) -> tuple[CrashInfo, int]:
    crash_day = int(rng.integers(2, days - 1)) if days >= 4 else days - 1
    start_hour = int(rng.integers(12, 17))
    minutes = int(rng.integers(2, 5)) * 60
    log_move = float(np.log(1.0 - rng.uniform(0.09, 0.15)))
    crash = CrashInfo(crash_day, crash_day * MINUTES_PER_DAY + start_hour * 60, minutes, log_move)
    choices = [d for d in range(days) if d != crash_day] or [crash_day]
    breakdown_day = int(rng.choice(choices))
    breakdown_hour = int(rng.integers(0, 24 - _BREAKDOWN_HOURS)) if breakdown_day != crash_day else 0
    return crash, breakdown_day * MINUTES_PER_DAY + breakdown_hour * 60


def simulate_regimes(days: int, rng: np.random.Generator) -> tuple[np.ndarray, CrashInfo, int]:
    """Minute regime codes, the crash and the forced breakdown stretch's first minute."""
    hours = days * 24
    hourly = np.empty(hours, dtype=np.int8)
    state = CALM
    draws = rng.random(hours)
    cumulative = _TRANSITIONS.cumsum(axis=1)
    for hour in range(hours):
        hourly[hour] = state
        state = int(np.searchsorted(cumulative[state], draws[hour], side="right"))
        state = min(state, BREAKDOWN)
    regimes = np.repeat(hourly, 60)
    crash, breakdown_start = _place_events(days, rng)
    regimes[breakdown_start : breakdown_start + _BREAKDOWN_HOURS * 60] = BREAKDOWN
    crash_end = crash.start_minute + crash.minutes
    day_end = (crash.day + 1) * MINUTES_PER_DAY
    regimes[crash.start_minute : crash_end] = CRASH
    regimes[crash_end:day_end] = VOLATILE
    return regimes, crash, breakdown_start


def _trend_drift(regimes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    drift = np.zeros(regimes.shape[0])
    trending = regimes == TRENDING
    starts = np.flatnonzero(trending & ~np.concatenate(([False], trending[:-1])))
    signs = rng.choice([-1.0, 1.0], size=starts.shape[0])
    for start, sign in zip(starts, signs, strict=True):
        end = start
        while end < regimes.shape[0] and regimes[end] == TRENDING:
            end += 1
        drift[start:end] = sign * _TREND_DRIFT
    return drift


def simulate_market(
    universe: list[InstrumentParams], days: int, jumps: np.ndarray, rng: np.random.Generator
) -> MarketPaths:
    """Simulate minute OHLCV for ``universe`` over ``days`` days.

    Parameters
    ----------
    universe
        Instrument parameters.
    days
        Number of 24-hour days.
    jumps
        Extra log returns ``(minutes, instruments)`` (news shocks), added to the model's returns.
    rng
        The session's generator.

    Returns
    -------
    MarketPaths
        Rounded prices (instrument precision) and volumes, regimes, crash and breakdown placement.
    """
    minutes = days * MINUTES_PER_DAY
    count = len(universe)
    regimes, crash, breakdown_start = simulate_regimes(days, rng)
    season = intraday_season(minutes)
    beta = np.array([p.beta for p in universe])
    idio_sigma = np.array([p.idio_sigma for p in universe])

    mu = _trend_drift(regimes, rng)
    crash_slice = slice(crash.start_minute, crash.start_minute + crash.minutes)
    mu[crash_slice] = crash.log_move / crash.minutes
    factor_sigma = _SIGMA_F[regimes] * season
    factor_noise = factor_sigma * rng.standard_normal(minutes)
    factor_noise[crash_slice] -= factor_noise[crash_slice].mean()  # the crash moves exactly log_move
    factor = mu + factor_noise
    loading = np.tile(beta, (minutes, 1))
    loading[regimes == BREAKDOWN] *= _BREAKDOWN_LOADING
    loading[crash_slice] = np.maximum(beta, 1.0)
    idio_scale = (_IDIO_MULT[regimes] * season)[:, None] * idio_sigma[None, :]
    idio = idio_scale * rng.standard_normal((minutes, count))
    returns = loading * factor[:, None] + idio + jumps

    local_sigma = np.sqrt((loading * factor_sigma[:, None]) ** 2 + idio_scale**2)
    noise = rng.standard_normal((minutes, count, SUBSTEPS))
    noise -= noise.mean(axis=2, keepdims=True)
    steps = returns[:, :, None] / SUBSTEPS + (local_sigma / np.sqrt(SUBSTEPS))[:, :, None] * noise
    log_start = np.log(np.array([p.start_price for p in universe]))
    log_close = log_start + np.cumsum(returns, axis=0)
    log_open = np.vstack([log_start[None, :], log_close[:-1]])
    path = log_open[:, :, None] + np.cumsum(steps, axis=2)
    path[:, :, -1] = log_close  # the bridge ends exactly at the close
    high = np.maximum(log_open, path.max(axis=2))
    low = np.minimum(log_open, path.min(axis=2))

    activity = (_VOLUME_MULT[regimes] * season**1.5)[:, None]
    surprise = 1.0 + 40.0 * np.abs(returns)
    volume = np.array([p.base_volume for p in universe]) * activity * surprise
    volume *= rng.lognormal(0.0, 0.35, size=(minutes, count))

    def rounded(values: np.ndarray, attr: str) -> np.ndarray:
        out = np.empty_like(values)
        for column, params in enumerate(universe):
            out[:, column] = np.round(values[:, column], getattr(params, attr))
        return out

    size_floor = np.array([10.0**-p.size_precision for p in universe])
    return MarketPaths(
        open=rounded(np.exp(log_open), "price_precision"),
        high=rounded(np.exp(high), "price_precision"),
        low=rounded(np.exp(low), "price_precision"),
        close=rounded(np.exp(log_close), "price_precision"),
        volume=np.maximum(rounded(volume, "size_precision"), size_floor),
        regimes=regimes,
        crash=crash,
        breakdown_start_minute=breakdown_start,
    )
