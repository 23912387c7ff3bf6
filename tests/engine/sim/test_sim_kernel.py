"""The simulator's execution kernel on hand-built bars: Nautilus's bar matching rule, brackets, trailing,
trims, kill switch, and the vectorised ensemble against ``engine.ensemble.decide``."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from engine.config import AureusConfig
from engine.ensemble import EnsembleInputs, decide
from engine.sim import Decisions, EventBars, SimUnsupportedError, ensemble_arrays, simulate
from engine.sim import kernels as k
from schemas.recording import InstrumentSpec

MIN = 60_000_000_000
T0 = 1_677_628_800_000_000_000  # 2023-03-01T00:00Z
SPEC = InstrumentSpec(
    instrument_id="X.TEST", kind="crypto_spot", base_currency="X", quote_currency="USD",
    price_precision=2, size_precision=3,
)  # fmt: skip


def _config(**risk_caps) -> AureusConfig:
    import msgspec

    raw = msgspec.to_builtins(AureusConfig())
    raw["risk"]["caps"]["per_name_pct"]["core"] = risk_caps.get("cap", 1.5)
    raw["risk"]["kill_switch"]["daily_loss_pct"] = risk_caps.get("kill", 2.5)
    raw["risk"]["caps"]["entry_buffer_pct"] = risk_caps.get("entry_buffer", 0.0)
    raw["risk"]["caps"]["trim_hysteresis_pct"] = risk_caps.get("hysteresis", 0.0)
    raw["shorting"]["spot"] = risk_caps.get("spot_shorts", False)
    return msgspec.convert(raw, AureusConfig)


def _run(ohlc, actions, *, atr=10.0, size=0.5, volume=1000.0, cfg=None, day_ns=None, spec=SPEC):
    n = len(ohlc)
    a = np.array(ohlc, dtype=np.float64)
    ts = T0 + MIN * np.arange(n, dtype=np.int64) if day_ns is None else np.asarray(day_ns, dtype=np.int64)
    bars = EventBars(
        ts=ts, inst=np.zeros(n, np.int64), open=a[:, 0], high=a[:, 1], low=a[:, 2], close=a[:, 3],
        volume=np.broadcast_to(np.asarray(volume, np.float64), (n,)).copy(),
        instruments=(spec.instrument_id,),
    )  # fmt: skip
    nan = np.full(n, np.nan)
    decisions = Decisions(
        action=np.array(actions, dtype=np.int8), size=np.full(n, size), atr=np.broadcast_to(atr, n) * 1.0,
        p_short=nan, p_mid=nan, ppo_hint=None, vol_z=nan, sentiment=nan, liquidity=nan, correlation=nan,
        bucket_limit_pct=np.full(n, 90.0), model_providers={},
    )  # fmt: skip
    return simulate(bars, decisions, (spec,), cfg or _config())


FLAT = (1000.0, 1000.0, 1000.0, 1000.0)


def test_entry_fills_at_close_with_taker_fee_and_per_name_cap():
    res = _run([FLAT, FLAT], [1, 0])
    (trade,) = res.trades
    assert trade[k.T_SIDE] == 1 and trade[k.T_ENTRY_PX] == 1000.0
    assert trade[k.T_SIZE_POST] == pytest.approx(0.015) and trade[k.T_REDUCED] == 1.0
    assert trade[k.T_UNITS] == 1500  # 1.5 % of 100,000 at 1000 = 1.5 units of 0.001
    nav_after = res.equity[1, k.E_NAV]
    assert nav_after == pytest.approx(100_000.0 - 1.5 * 1000.0 * 0.001)


def test_stop_fills_at_trigger_when_the_low_crosses_it():
    # stop = 1000 - 1.8*10 = 982; the next bar opens at 1000 (no gap), low 970 crosses the stop
    res = _run([FLAT, (1000.0, 1001.0, 970.0, 975.0)], [1, 0])
    (trade,) = res.trades
    assert trade[k.T_EXIT_REASON] == k.EXIT_STOP and trade[k.T_EXIT_EVENT] == 1
    assert trade[k.T_EXIT_PX] == 982.0


def test_stop_fills_at_open_on_a_gap():
    res = _run([FLAT, (960.0, 965.0, 950.0, 955.0)], [1, 0])
    (trade,) = res.trades
    assert trade[k.T_EXIT_REASON] == k.EXIT_STOP and trade[k.T_EXIT_PX] == 960.0


def test_take_profit_pays_the_maker_fee_at_the_limit_price():
    res = _run([FLAT, (1000.0, 1030.0, 999.0, 1010.0)], [1, 0])
    (trade,) = res.trades
    assert trade[k.T_EXIT_REASON] == k.EXIT_TAKE_PROFIT and trade[k.T_EXIT_PX] == 1025.0
    qty = 1.5
    want = qty * 25.0 - qty * 1000.0 * 0.001 - qty * 1025.0 * 0.0008
    assert trade[k.T_PNL] == pytest.approx(want)


@pytest.mark.parametrize(
    ("bar", "reason"),
    [
        ((1000.0, 1030.0, 970.0, 1000.0), k.EXIT_STOP),  # equal distance: the low is played first
        ((1000.0, 1026.0, 970.0, 1000.0), k.EXIT_TAKE_PROFIT),  # high nearer the open: high first
        ((1000.0, 1040.0, 981.0, 1000.0), k.EXIT_STOP),  # low nearer the open: low first
    ],
)
def test_high_low_order_is_the_extreme_nearer_the_open_first(bar, reason):
    res = _run([FLAT, bar], [1, 0])
    assert res.trades[0][k.T_EXIT_REASON] == reason


def test_stop_trails_behind_the_best_close_once_in_profit():
    # entry 1000, ATR 10: trailing starts once the close is 12 above the entry; stop -> best - 12
    bars = [FLAT, (1000.0, 1015.0, 1000.0, 1015.0), (1015.0, 1015.0, 1002.0, 1002.0)]
    res = _run(bars, [1, 0, 0], size=0.01, cfg=_config(cap=90.0))  # 1 % of NAV: no drift trim
    (trade,) = res.trades
    assert res.counters["stop_trails"] == 1 and res.counters["trims"] == 0
    assert trade[k.T_EXIT_REASON] == k.EXIT_STOP and trade[k.T_EXIT_PX] == 1003.0


def test_reversal_closes_at_the_close_and_does_not_enter_the_same_bar():
    res = _run([FLAT, (1000.0, 1001.0, 995.0, 996.0), FLAT], [1, -1, 0])
    (trade,) = res.trades
    assert trade[k.T_EXIT_REASON] == k.EXIT_REVERSAL and trade[k.T_EXIT_PX] == 996.0
    assert res.counters["entries"] == 1


def test_drift_trim_cuts_a_position_back_under_its_cap():
    # +2 % price drift: exposure 1.53 % > 1.5 % -> trim to 1.35 %
    res = _run(
        [FLAT, (1000.0, 1020.0, 1000.0, 1020.0), (1020.0, 1020.0, 1020.0, 1020.0)], [1, 0, 0], atr=100.0
    )
    assert res.counters["trims"] == 1
    assert res.equity[2, k.E_MAX_NAME] == pytest.approx(1.35, abs=0.01)


def test_kill_switch_flattens_and_halts_until_the_next_utc_day():
    cfg = _config(cap=90.0, kill=1.0)
    day = 86_400_000_000_000
    ts = [T0 + MIN, T0 + 2 * MIN, T0 + 3 * MIN, T0 + day + MIN, T0 + day + 2 * MIN]
    bars = [FLAT, (1000.0, 1000.0, 970.0, 970.0), FLAT, FLAT, FLAT]  # -3 % on half the NAV
    res = _run(bars, [1, 0, 1, 1, 0], atr=100.0, size=0.5, cfg=cfg, day_ns=ts)
    assert res.counters["kill_switch_activations"] == 1
    assert res.trades[0][k.T_EXIT_REASON] == k.EXIT_KILL and res.trades[0][k.T_EXIT_EVENT] == 1
    assert res.equity[2, k.E_HALTED] == 1.0  # the BUY at event 2 is ignored while halted
    assert len(res.trades) == 2 and res.trades[1][k.T_ENTRY_EVENT] == 3
    assert res.trades[1][k.T_DEMO] == 1.0  # the day after a kill trades in demo


def test_portfolio_limits_are_refused_not_ignored():
    import msgspec

    raw = msgspec.to_builtins(AureusConfig())
    raw["risk"]["limits"]["gross_max_pct"] = 150.0
    with pytest.raises(SimUnsupportedError, match="gross_max_pct"):
        _run([FLAT], [0], cfg=msgspec.convert(raw, AureusConfig))


finite = st.floats(-3.0, 3.0, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(
    p=st.tuples(st.floats(0, 1), st.floats(0, 1)),
    hint=st.one_of(st.none(), finite),
    ctx=st.tuples(st.one_of(finite, st.just(math.nan)), finite, st.floats(0, 1), finite),
)
def test_vectorised_ensemble_equals_decide(p, hint, ctx):
    policy = AureusConfig().policy
    vol_z, sentiment, liquidity, corr = ctx
    want = decide(
        EnsembleInputs(p_short=p[0], p_mid=p[1], ppo_hint=hint, vol_z=vol_z, sentiment=sentiment,
                       liquidity=liquidity, correlation=corr),
        policy, bucket_limit_pct=90.0,
    )  # fmt: skip
    arr = lambda v: np.array([v], dtype=np.float64)  # noqa: E731
    action, size = ensemble_arrays(
        arr(p[0]), arr(p[1]), None if hint is None else arr(hint), arr(vol_z), arr(sentiment),
        arr(liquidity), arr(corr), arr(90.0), policy,
    )  # fmt: skip
    assert int(action[0]) == {"BUY": 1, "SELL": -1, "HOLD": 0}[want.action]
    assert size[0] == want.size  # bit-identical: same operations in the same order


def test_take_profit_fills_at_its_limit_even_when_the_open_gaps_through_it():
    # Nautilus 1.228 fills a resting limit at its price, not at the better gap open
    res = _run([FLAT, (1050.0, 1060.0, 1045.0, 1055.0)], [1, 0])
    (trade,) = res.trades
    assert trade[k.T_EXIT_REASON] == k.EXIT_TAKE_PROFIT and trade[k.T_EXIT_PX] == 1025.0


def test_redecide_under_another_policy_equals_a_fresh_ensemble_pass():
    import msgspec

    from engine.sim import redecide

    rng = np.random.default_rng(3)
    n = 500
    cols = {k: rng.uniform(0, 1, n) for k in ("p_short", "p_mid", "liquidity")}
    d = Decisions(
        action=np.zeros(n, np.int8), size=np.zeros(n), atr=np.ones(n), ppo_hint=None,
        vol_z=rng.normal(0, 2, n), sentiment=rng.uniform(-1, 1, n), correlation=rng.uniform(-1, 1, n),
        bucket_limit_pct=np.full(n, 90.0), model_providers={}, **cols,
    )  # fmt: skip
    policy = AureusConfig().policy
    tighter = msgspec.structs.replace(policy, thresholds=msgspec.structs.replace(policy.thresholds, buy=0.6))
    got = redecide(d, tighter)
    want_action, want_size = ensemble_arrays(
        d.p_short, d.p_mid, None, d.vol_z, d.sentiment, d.liquidity, d.correlation, d.bucket_limit_pct,
        tighter,
    )  # fmt: skip
    assert np.array_equal(got.action, want_action) and np.array_equal(got.size, want_size)
    assert (got.action == 1).sum() > (redecide(d, policy).action == 1).sum()  # a lower buy bar buys more


def test_a_stop_rejected_in_the_market_whose_level_is_through_at_the_next_step_closes_the_position():
    # short at 1000 (ATR 10: take-profit 975); the next bar falls through 975 to 970 and closes there, so
    # the venue's ask stays at 975. A new short on that bar with ATR 2 puts its stop at 973.6 <= ask:
    # Nautilus rejects the stop (and the contingent take-profit). At the next step the close 985 is through
    # 973.6: strategies.protection closes the position at market instead of holding it unprotected.
    bars = [FLAT, (1000.0, 1000.0, 970.0, 970.0), (970.0, 990.0, 969.0, 985.0)]
    cfg = _config(cap=90.0, spot_shorts=True)
    res = _run(bars, [-1, -1, 0], atr=np.array([10.0, 2.0, 2.0]), size=0.01, cfg=cfg)
    first, second = res.trades
    assert first[k.T_EXIT_REASON] == k.EXIT_TAKE_PROFIT and first[k.T_EXIT_PX] == 975.0
    assert res.counters["bracket_rejected_in_market"] == 1
    assert second[k.T_ENTRY_EVENT] == 1 and second[k.T_EXIT_EVENT] == 2
    assert second[k.T_EXIT_REASON] == k.EXIT_STOP_THROUGH and second[k.T_EXIT_PX] == 985.0
    assert res.counters["reprotect_closes"] == 1 and res.counters["stops_resubmitted"] == 0


def test_a_stop_rejected_in_the_market_is_resubmitted_at_its_level_while_the_market_is_on_its_side():
    # as above, but bar 2 closes at 971, below the rejected stop 973.6: the stop goes back at 973.6
    # (without the take-profit), and bar 3's rise to 980 fills it at its trigger
    bars = [FLAT, (1000.0, 1000.0, 970.0, 970.0), (970.0, 972.0, 969.0, 971.0), (971.0, 980.0, 970.0, 975.0)]
    cfg = _config(cap=90.0, spot_shorts=True)
    res = _run(bars, [-1, -1, 0, 0], atr=np.array([10.0, 2.0, 2.0, 2.0]), size=0.01, cfg=cfg)
    _, second = res.trades
    assert res.counters["stops_resubmitted"] == 1 and res.counters["reprotect_closes"] == 0
    assert second[k.T_EXIT_EVENT] == 3 and second[k.T_EXIT_REASON] == k.EXIT_STOP
    assert second[k.T_EXIT_PX] == 973.6


def test_the_entry_buffer_sizes_entries_below_the_cap():
    res = _run([FLAT, FLAT], [1, 0], cfg=_config(entry_buffer=5.0))
    (trade,) = res.trades
    assert trade[k.T_SIZE_POST] == pytest.approx(0.015 * 0.95) and trade[k.T_UNITS] == 1425


def test_trim_hysteresis_lets_a_position_drift_inside_the_band_and_trims_past_it():
    # long 1.5 % at 1000; +2 % puts it ~2 % over its cap: trimmed without hysteresis, not with a 3 % band;
    # +6 % is past the band: trimmed
    up2, up6 = (1020.0, 1020.0, 1020.0, 1020.0), (1060.0, 1060.0, 1060.0, 1060.0)
    strict = _run([FLAT, FLAT, up2], [1, 0, 0], atr=100.0)
    banded = _run([FLAT, FLAT, up2], [1, 0, 0], atr=100.0, cfg=_config(hysteresis=3.0))
    past = _run([FLAT, FLAT, up2, up6], [1, 0, 0, 0], atr=100.0, cfg=_config(hysteresis=3.0))
    assert strict.counters["trims"] == 1 and banded.counters["trims"] == 0 and past.counters["trims"] == 1


def test_trailing_the_stop_cancels_a_take_profit_that_already_filled_the_remaining_size():
    # long 1.5 at 1000 (TP 1025, stop 982). Bar 1 touches 1025 with an L1 size of 1.0: the take-profit
    # fills 1.0, 0.5 stays. Its close 1020 trails the stop to 1008; the venue's one-updates-other sync
    # then cancels the take-profit (filled 1.0 >= 0.5 left), so bar 2's 1030 does not fill it: the stop does.
    bars = [FLAT, (1000.0, 1025.0, 1000.0, 1020.0), (1020.0, 1030.0, 1005.0, 1010.0)]
    res = _run(bars, [1, 0, 0], volume=4.0)
    (trade,) = res.trades
    assert res.counters["take_profit_partial_fills"] == 1 and res.counters["stop_trails"] == 1
    assert trade[k.T_EXIT_REASON] == k.EXIT_STOP and trade[k.T_EXIT_EVENT] == 2
    assert trade[k.T_EXIT_PX] == pytest.approx((1.0 * 1025.0 + 0.5 * 1008.0) / 1.5)


def _spec(kind: str, instrument_id: str = "X.TEST") -> InstrumentSpec:
    return InstrumentSpec(
        instrument_id=instrument_id, kind=kind, base_currency="X", quote_currency="USD",
        price_precision=2, size_precision=3,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "spot_shorts", "shorted"),
    [
        ("crypto_spot", False, False),  # [shorting] default: spot is long only
        ("equity", False, False),
        ("crypto_spot", True, True),  # shorting.spot = true: a margin account may short spot
        ("fx", False, True),  # margin kinds short by default
        ("future", False, True),
    ],
)
def test_short_entries_follow_the_shorting_config_like_the_replay(kind, spot_shorts, shorted):
    res = _run(
        [FLAT, FLAT, FLAT], [-1, -1, 0], size=0.01, cfg=_config(spot_shorts=spot_shorts), spec=_spec(kind)
    )
    # strategies.entries counts a SELL it may not act on as short_blocked, once per decision
    assert res.counters["short_blocked"] == (0 if shorted else 2)
    assert res.counters["entries"] == (1 if shorted else 0)
    if shorted:
        assert res.trades[0][k.T_SIDE] == -1


def test_policy_allow_short_false_blocks_margin_kinds_too():
    import msgspec

    raw = msgspec.to_builtins(_config())
    raw["policy"]["allow_short"] = False
    res = _run([FLAT, FLAT], [-1, 0], size=0.01, cfg=msgspec.convert(raw, AureusConfig), spec=_spec("fx"))
    assert res.counters["short_blocked"] == 1 and res.counters["entries"] == 0


@pytest.mark.parametrize(
    ("kind", "maker", "taker"),
    [
        ("crypto_spot", 0.0008, 0.001),
        ("equity", 0.0005, 0.0005),
        ("fx", 0.0001, 0.0001),
        ("future", 0.0001, 0.0001),
    ],
)
def test_fills_pay_the_asset_class_fee_schedule(kind, maker, taker):
    cfg = _config()
    rates = getattr(cfg.fees, kind, None)
    assert rates is None or (rates.maker, rates.taker) == (maker, taker)  # the [fees.*] defaults
    assert (cfg.venue.maker_fee, cfg.venue.taker_fee) == (0.0008, 0.001)  # crypto pays the venue's
    res = _run([FLAT, (1000.0, 1030.0, 999.0, 1010.0)], [1, 0], spec=_spec(kind))
    (trade,) = res.trades
    assert trade[k.T_EXIT_REASON] == k.EXIT_TAKE_PROFIT
    qty = 1.5  # 1.5 % of 100,000 at 1000
    cents = lambda x: math.floor(x * 100.0 + 0.5) / 100.0  # noqa: E731  (Nautilus Money in USD)
    want = qty * 25.0 - cents(qty * 1000.0 * taker) - cents(qty * 1025.0 * maker)
    assert trade[k.T_PNL] == pytest.approx(want, abs=1e-9)
    assert res.equity[1, k.E_NAV] == pytest.approx(100_000.0 + want, abs=1e-9)


def test_each_instrument_pays_its_own_asset_class_fee():
    # one timestamp, two instruments: the equity entry pays 5 bps, the crypto entry the venue's 10 bps
    specs = (_spec("crypto_spot", "A.TEST"), _spec("equity", "B.TEST"))
    n = 4
    bars = EventBars(
        ts=np.repeat(T0 + MIN * np.arange(2, dtype=np.int64), 2), inst=np.array([0, 1, 0, 1]),
        open=np.full(n, 1000.0), high=np.full(n, 1000.0), low=np.full(n, 1000.0), close=np.full(n, 1000.0),
        volume=np.full(n, 1000.0), instruments=("A.TEST", "B.TEST"),
    )  # fmt: skip
    nan = np.full(n, np.nan)
    decisions = Decisions(
        action=np.array([1, 1, 0, 0], np.int8), size=np.full(n, 0.01), atr=np.full(n, 10.0), p_short=nan,
        p_mid=nan, ppo_hint=None, vol_z=nan, sentiment=nan, liquidity=nan, correlation=nan,
        bucket_limit_pct=np.full(n, 90.0), model_providers={},
    )  # fmt: skip
    res = simulate(bars, decisions, specs, _config(cap=90.0))
    assert res.counters["entries"] == 2
    # marked at the next step, prices unchanged: NAV is down by the two commissions
    assert res.equity[3, k.E_NAV] == pytest.approx(100_000.0 - 1.0 * 1000.0 * (0.001 + 0.0005), abs=1e-9)


def test_cache_guard_stamp_tracks_the_sim_kernel_sources():
    # the kernels call each other across engine/sim's modules; numba's cache only watches a function's
    # own file, so the guard must have recorded the digest of all of them
    import hashlib
    from pathlib import Path

    here = Path(k.__file__).resolve().parent
    names = ("layout.py", "fills.py", "caps.py", "exits.py", "killswitch.py", "kernels.py")
    digest = hashlib.sha256(b"".join((here / n).read_bytes() for n in names)).hexdigest()
    stamp = Path(k.simulate._cache._cache_path) / "sim_kernels.deps"
    assert stamp.read_text() == digest


def test_entry_gate_uses_each_instruments_own_round_trip_fee():
    # the same take-profit distance (2.5 x 0.6 / 1000 = 0.15 %) clears an equity's 2 x 5 bps but not a
    # crypto instrument's 2 x 10 bps: strategies.entries skips the crypto entry as tp_below_fee
    from engine.asset_classes import round_trip_fee

    cfg = _config(cap=90.0)
    assert round_trip_fee("equity", cfg) < 2.5 * 0.6 / 1000.0 < round_trip_fee("crypto_spot", cfg)
    specs = (_spec("crypto_spot", "A.TEST"), _spec("equity", "B.TEST"))
    n = 4
    bars = EventBars(
        ts=np.repeat(T0 + MIN * np.arange(2, dtype=np.int64), 2), inst=np.array([0, 1, 0, 1]),
        open=np.full(n, 1000.0), high=np.full(n, 1000.0), low=np.full(n, 1000.0), close=np.full(n, 1000.0),
        volume=np.full(n, 1000.0), instruments=("A.TEST", "B.TEST"),
    )  # fmt: skip
    nan = np.full(n, np.nan)
    decisions = Decisions(
        action=np.array([1, 1, 0, 0], np.int8), size=np.full(n, 0.01), atr=np.full(n, 0.6), p_short=nan,
        p_mid=nan, ppo_hint=None, vol_z=nan, sentiment=nan, liquidity=nan, correlation=nan,
        bucket_limit_pct=np.full(n, 90.0), model_providers={},
    )  # fmt: skip
    res = simulate(bars, decisions, specs, cfg)
    assert res.counters["entries"] == 1 and res.counters["skip_tp_below_fee"] == 1
    (trade,) = res.trades
    assert trade[k.T_INST] == 1  # the equity


FUT = InstrumentSpec(
    instrument_id="6EH4.XCME", kind="future", base_currency="EUR", quote_currency="USD",
    price_precision=5, size_precision=0,
)  # fmt: skip
FLAT_FUT = (1.1, 1.1, 1.1, 1.1)


def _cents(x: float) -> float:
    # Nautilus Money(x, USD): nearest cent, halves away from zero
    return math.copysign(math.floor(abs(x) * 100 + 0.5) / 100, x)


def _booked(fills, avg):
    """Realised P&L of a short opened at ``avg`` and closed by ``fills`` [(units, price, fee)], each fill
    booked on its own as the replay's Nautilus position does (own commission, own P&L rounding)."""
    return sum(_cents(u * (avg - px)) - _cents(u * px * fee) for u, px, fee in fills)


def test_a_take_profit_filled_through_its_price_is_two_fills_each_rounded_like_nautilus():
    # short 1,363 contracts at 1.1 (1.5 % of NAV; the entry bar's L1 size 2,000 takes it in one fill), TP
    # 1.099. Bar 1's low 1.0985 goes through it with an L1 size of 500: Nautilus fills 500 at the limit
    # and the other 863 as a fill of its own at the limit (its L1 book's next level, moved to the limit),
    # each with its commission rounded to the cent: 0.05 + 0.09, where one fill of 1,363 pays 0.15
    res = _run([FLAT_FUT, (1.1, 1.1, 1.0985, 1.0988)], [-1, 0], atr=0.0004, volume=[8000.0, 2000.0],
               spec=FUT)  # fmt: skip
    (trade,) = res.trades
    assert trade[k.T_UNITS] == 1363 and trade[k.T_EXIT_REASON] == k.EXIT_TAKE_PROFIT
    entry_fee = _cents(1363 * 1.1 * 1e-4)
    want = _booked([(500, 1.099, 1e-4), (863, 1.099, 1e-4)], 1.1) - entry_fee
    assert trade[k.T_PNL] == pytest.approx(want, abs=1e-9)
    assert want != pytest.approx(_booked([(1363, 1.099, 1e-4)], 1.1) - entry_fee, abs=1e-9)


@pytest.mark.parametrize(("trailing_atr", "touch_fills"), [(1.2, 2), (10.0, 1)])
def test_a_touched_take_profit_fills_its_l1_size_again_when_the_step_sends_an_order(
    trailing_atr, touch_fills
):
    # short 1,363 at 1.1, TP 1.099. Bar 1's low only touches 1.099 (L1 size 300): 300 fill, the rest
    # stays. Its close 1.099 trails the stop (1.2 x ATR in profit): the modify is a command, and after
    # the venue drains its commands it matches again; the TP still sits at the last price and fills
    # another 300. Without a trail (10 x ATR) no command is sent and nothing more fills. Bar 2 goes
    # through: L1 300, then the rest.
    import msgspec

    cfg = _config()
    stops = msgspec.structs.replace(cfg.policy.stop_multipliers, trailing=trailing_atr)
    cfg = msgspec.structs.replace(cfg, policy=msgspec.structs.replace(cfg.policy, stop_multipliers=stops))
    bars = [FLAT_FUT, (1.1, 1.1, 1.099, 1.099), (1.099, 1.099, 1.0985, 1.0988)]
    res = _run(bars, [-1, 0, 0], atr=0.0004, volume=[8000.0, 1200.0, 1200.0], spec=FUT, cfg=cfg)
    (trade,) = res.trades
    assert res.counters["stop_trails"] == (1 if touch_fills == 2 else 0)
    assert res.counters["take_profit_partial_fills"] == touch_fills
    assert trade[k.T_EXIT_REASON] == k.EXIT_TAKE_PROFIT and trade[k.T_EXIT_EVENT] == 2
    touched = [(300, 1.099, 1e-4)] * touch_fills
    rest = 1363 - 300 * touch_fills - 300
    want = _booked([*touched, (300, 1.099, 1e-4), (rest, 1.099, 1e-4)], 1.1) - _cents(1363 * 1.1 * 1e-4)
    assert trade[k.T_PNL] == pytest.approx(want, abs=1e-9)


def test_high_and_low_equally_far_from_the_open_in_ticks_play_the_low_first_whatever_the_floats_say():
    # 1.1003 - 1.1 < 1.1 - 1.0997 in floats, but both are 30 ticks: Nautilus compares raw prices and
    # plays the low first, so the long's stop (1.09982) fills before its take-profit (1.10025)
    assert abs(1.1003 - 1.1) < abs(1.0997 - 1.1)
    res = _run([FLAT_FUT, (1.1, 1.1003, 1.0997, 1.1)], [1, 0], atr=0.0001, volume=8000.0, spec=FUT)
    (trade,) = res.trades
    assert trade[k.T_EXIT_REASON] == k.EXIT_STOP and trade[k.T_EXIT_PX] == 1.09982


@settings(max_examples=300, deadline=None)
@given(
    st.integers(1, 50_000_000),
    st.integers(1, 30_000_000),
    st.sampled_from([0.0001, 0.0005, 0.0008, 0.001, 0.00025]),
    st.sampled_from([2, 8]),
)
def test_commission_is_nautilus_fee_model_arithmetic(qty_thousandths, px_cents, fee, currency_precision):
    # MakerTakerFeeModel.get_commission: Money(Money(qty * px).as_decimal() * Decimal(str(fee)))
    from decimal import Decimal

    from nautilus_trader.model.objects import Currency, Money

    from engine.sim.fills import fee_money

    cur = Currency.from_str("USD" if currency_precision == 2 else "USDT")
    assert cur.precision == currency_precision
    qty, px = qty_thousandths / 1000, px_cents / 100
    # doubles count the currency's units exactly below 2^53 (in USDT: notionals under ~90 million)
    assume(qty * px * 10**currency_precision * 1000 < 2**53)
    want = Money(Money(qty * px, cur).as_decimal() * Decimal(str(fee)), cur).as_decimal()
    scale = 10.0**currency_precision
    # the same number of the currency's units (Money's double can sit an ulp off the nearest one)
    assert round(fee_money(qty * px, fee, scale) * scale) == int(want.scaleb(currency_precision))


def test_commission_rounds_the_notional_first_like_nautilus():
    # the synthetic session's SYNC short: 6.969 x 39.46 = 274.99674 -> 275.00 x 0.001 = 0.275 -> 0.28;
    # rounding 0.27499674 once would give 0.27 (the one trade a cent apart before)
    from engine.sim.fills import fee_money, money

    assert fee_money(6.969 * 39.46, 0.001, 100.0) == 0.28
    assert money(6.969 * 39.46 * 0.001, 100.0) == 0.27
