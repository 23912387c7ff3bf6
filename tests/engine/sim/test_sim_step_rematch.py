"""The venue's matching after a portfolio step, on several instruments: when its fills are stamped (the
step's time, which is the grace timer's when an instrument had no bar at that timestamp); and fills
booked on the venue's doubles (``Price.as_double()``), as Nautilus's position books them."""

from __future__ import annotations

import msgspec
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aureus.sim_run import trade_log
from engine.config import AureusConfig
from engine.sim import Decisions, EventBars, simulate
from engine.sim import kernels as k
from schemas.recording import InstrumentSpec

MIN = 60_000_000_000
T0 = 1_677_628_800_000_000_000  # 2023-03-01T00:00Z
SPECS = tuple(
    InstrumentSpec(
        instrument_id=iid, kind="future", base_currency="EUR", quote_currency="USD",
        price_precision=5, size_precision=0,
    )
    for iid in ("6EH4.XCME", "6EM4.XCME", "6EU4.XCME")
)  # fmt: skip


def _config(*, trailing_atr: float) -> AureusConfig:
    raw = msgspec.to_builtins(AureusConfig())
    raw["risk"]["caps"]["per_name_pct"]["core"] = 1.5
    raw["risk"]["caps"]["entry_buffer_pct"] = 0.0
    raw["risk"]["caps"]["trim_hysteresis_pct"] = 0.0
    raw["policy"]["stop_multipliers"]["trailing"] = trailing_atr
    return msgspec.convert(raw, AureusConfig)


def _run(b_has_bar_1: bool, c_enters: bool = True):
    # A: short 1,363 at 1.1, TP 1.099. Bar 1's low only touches 1.099 with an L1 size of 1,000: 1,000
    # fill, 363 rest. The portfolio step of bar 1 enters C (a command), so after the step the venue
    # matches again and A's take-profit fills the rest. B is flat and may miss bar 1, which puts that
    # step on the grace timer. (No trail: A's trail would cancel the take-profit, as its filled size
    # already covers the rest.) Bar 2 goes through 1.099.
    a = [(1.1, 1.1, 1.1, 1.1), (1.1, 1.1, 1.099, 1.099), (1.099, 1.099, 1.0985, 1.0988)]
    flat = (2.0, 2.0, 2.0, 2.0)
    rows = []
    for m in range(3):
        rows.append((T0 + m * MIN, 0, a[m], [8000.0, 4000.0, 4000.0][m], -1 if m == 0 else 0))
        if m != 1 or b_has_bar_1:
            rows.append((T0 + m * MIN, 1, flat, 4000.0, 0))
        rows.append((T0 + m * MIN, 2, flat, 4000.0, 1 if m == 1 and c_enters else 0))
    n = len(rows)
    ohlc = np.array([r[2] for r in rows])
    bars = EventBars(
        ts=np.array([r[0] for r in rows], np.int64), inst=np.array([r[1] for r in rows], np.int64),
        open=ohlc[:, 0], high=ohlc[:, 1], low=ohlc[:, 2], close=ohlc[:, 3],
        volume=np.array([r[3] for r in rows]), instruments=tuple(s.instrument_id for s in SPECS),
    )  # fmt: skip
    half = np.full(n, 0.5)
    decisions = Decisions(
        action=np.array([r[4] for r in rows], np.int8), size=np.full(n, 0.5), atr=np.full(n, 0.0004),
        p_short=half, p_mid=half, ppo_hint=None, vol_z=np.zeros(n), sentiment=np.zeros(n),
        liquidity=np.ones(n), correlation=np.zeros(n), bucket_limit_pct=np.full(n, 90.0), model_providers={},
    )  # fmt: skip
    cfg = _config(trailing_atr=10.0)
    res = simulate(bars, decisions, SPECS, cfg)
    return res, trade_log(res, bars, decisions, SPECS, cfg), cfg


def _exit_at(entry) -> np.datetime64:
    return np.datetime64(entry.exit_timestamp.replace("Z", ""), "s")


def test_a_take_profit_completed_by_the_post_step_match_is_stamped_at_the_grace_timer():
    res, log, cfg = _run(b_has_bar_1=False)
    a = res.trades[0]
    assert a[k.T_INST] == 0 and a[k.T_EXIT_REASON] == k.EXIT_TAKE_PROFIT and a[k.T_EXIT_AT_STEP] == 1.0
    assert res.counters["entries"] == 2 and res.counters["take_profit_partial_fills"] == 1
    grace_s = cfg.node.bar_grace_ms // 1000
    assert _exit_at(log[0]) == np.datetime64(T0 // 10**9 + 60 + grace_s, "s")
    assert log[1].timestamp == log[0].exit_timestamp  # C's entry: the same step, the same time


def test_with_every_bar_present_the_post_step_match_is_stamped_at_the_bar():
    res, log, _ = _run(b_has_bar_1=True)
    assert res.trades[0][k.T_EXIT_AT_STEP] == 1.0
    assert _exit_at(log[0]) == np.datetime64(T0 // 10**9 + 60, "s")


def test_without_a_command_the_rest_fills_when_the_venue_moves_the_market_and_is_stamped_at_the_bar():
    res, log, _ = _run(b_has_bar_1=False, c_enters=False)
    (a,) = res.trades
    assert a[k.T_EXIT_REASON] == k.EXIT_TAKE_PROFIT and a[k.T_EXIT_AT_STEP] == 0.0
    assert _exit_at(log[0]) == np.datetime64(T0 // 10**9 + 120, "s")


@settings(max_examples=400, deadline=None)
@given(st.integers(1, 10**12), st.integers(0, 9))
def test_nt_double_is_nautilus_price_as_double(ticks, precision):
    from nautilus_trader.model.objects import Price

    from engine.sim.fills import nt_double

    want = Price.from_raw(ticks * 10 ** (16 - precision), precision).as_double()
    assert nt_double(float(ticks), 10.0**precision) == want


def test_a_trades_pnl_is_booked_on_nautilus_doubles_like_the_replay():
    # a Kraken BTC/USDC trade of the replay (2023-03-17 02:08 -> 02:13): 0.00990366 BTC bought at
    # 25,839.88 and sold at 25,864.13, 10 bps each side, realised -0.27189519 USDC. Price.as_double() of
    # 25,864.13 is 25864.129999999997, so the fill's P&L is 0.2401637549999... -> 0.24016375; on the
    # nearest doubles it is 0.24016376 (the sim booked -0.27189518 before)
    from engine.sim.fills import fill, round_px

    pos, avg, cash = np.zeros(1, np.int64), np.zeros(1), np.array([100_000.0])
    fees, realised, cu, cn = np.zeros(1), np.zeros(1), np.zeros(1, np.int64), np.zeros(1)
    inc, msc = np.array([1e-8]), np.array([1e8])
    book = (pos, avg, cash, fees, realised, cu, cn, inc, msc, np.array([100.0]))
    fill(0, 990366, round_px(25839.88, 100.0), 0.001, *book)
    assert fill(0, -990366, round_px(25864.13, 100.0), 0.001, *book)
    assert fees[0] == pytest.approx(0.25590939 + 0.25614955, abs=1e-12)
    assert realised[0] == -0.27189519


def test_cash_is_always_a_money_value_as_the_account_reads_it():
    # the account's balance is exact money (USDC: 8 decimals) and the strategy's NAV reads
    # balance.as_double(); a float running sum of fills drifts off those doubles after a few fills
    import random

    from engine.sim.fills import fill, nt_double

    rng = random.Random(7)
    pos, avg, cash = np.zeros(1, np.int64), np.zeros(1), np.array([100_000.0])
    fees, realised, cu, cn = np.zeros(1), np.zeros(1), np.zeros(1, np.int64), np.zeros(1)
    book = (pos, avg, cash, fees, realised, cu, cn, np.array([1e-8]), np.array([1e8]), np.array([100.0]))
    for _ in range(400):
        size = rng.randint(100_000, 2_000_000)
        fill(0, size, rng.randint(2_000_000, 3_000_000) / 100, 0.001, *book)
        fill(0, -size, rng.randint(2_000_000, 3_000_000) / 100, 0.001, *book)
        assert cash[0] == nt_double(float(round(cash[0] * 1e8)), 1e8)
