"""A kill switch that cannot fail: an unmarkable NAV flattens and halts without raising, and a denied
close is sent again (engine-clock backoff, a critical alert each time) until the book is flat."""

import math
from pathlib import Path

import pytest
from nautilus_trader.model.enums import TradingState
from strategy_harness import Harness

from schemas.risk import KillSwitchTriggered
from strategies.order_ids import purpose_of


@pytest.fixture(scope="module")
def two_instruments(tmp_path_factory) -> Path:
    from adapters.synthetic import synthesize

    path = tmp_path_factory.mktemp("synth") / "rec"
    synthesize(7, path, days=2, n_instruments=2)
    return path


@pytest.mark.parametrize("bad_navs", [(0.0, -5.0, math.nan), (math.nan, math.inf, -1.0)])
def test_nav_at_zero_below_or_not_finite_flattens_and_halts_without_raising(
    two_instruments, tmp_path, bad_navs
):
    harness = Harness(two_instruments, tmp_path / "state")
    strategy = harness.strategy
    real_nav = strategy._nav
    seen = []

    def nav_going_bad():
        # from the first step with a position open, the NAV the book reports is unmarkable three times
        armed = seen or strategy.cache.positions_open(strategy_id=strategy.id)
        if armed and len(seen) < len(bad_navs):
            seen.append(bad_navs[len(seen)])
            return seen[-1]
        return real_nav()

    strategy._nav = nav_going_bad
    harness.run()  # raises if anything inside on_bar or the step raised

    assert len(seen) == len(bad_navs)
    kills = [e for e in harness.sink.get("risk") if isinstance(e, KillSwitchTriggered)]
    assert len(kills) == 1 and "not finite" in kills[0].reason
    alerts = [a for a in harness.sink.get("alerts") if a.code == "nav_invalid"]
    assert [a.severity for a in alerts] == ["critical"] * len(bad_navs)
    assert harness.engine.cache.positions_open() == []
    assert harness.engine.kernel.risk_engine.trading_state in (TradingState.HALTED, TradingState.ACTIVE)
    halted_rows = [row for row in harness.sink.get("equity") if row.ts >= kills[0].ts_event and row.halted]
    assert halted_rows, "the equity rows after the kill show the halt"
    flatten = strategy.risk.supervisor.state.last_flatten
    assert flatten is not None and flatten.reason == "kill_switch" and flatten.ts >= kills[0].ts_event
    kill_orders = [o for o in harness.engine.cache.orders() if purpose_of(o.client_order_id) == "kill"]
    assert kill_orders and all(o.is_closed for o in kill_orders)


def test_a_denied_kill_close_is_retried_until_flat(two_instruments, tmp_path):
    harness = Harness(two_instruments, tmp_path / "state")
    strategy = harness.strategy
    real_nav = strategy._nav
    # a 10 % loss on the first step with a position open: the kill switch fires with something to close
    strategy._nav = lambda: (
        real_nav() * (0.9 if strategy.cache.positions_open(strategy_id=strategy.id) else 1.0)
    )
    risk_engine = harness.engine.kernel.risk_engine
    submit = strategy.submit_order
    denied = []

    def submit_denying_the_first_kill_close(order, **kwargs):
        if purpose_of(order.client_order_id) == "kill" and not denied:
            denied.append(order.client_order_id)
            before = risk_engine.trading_state
            risk_engine.set_trading_state(TradingState.HALTED)  # the real risk engine denies it
            submit(order, **kwargs)
            risk_engine.set_trading_state(before)
            return
        submit(order, **kwargs)

    strategy.submit_order = submit_denying_the_first_kill_close
    harness.run()

    assert denied, "the kill switch fired with a position open"
    first = harness.engine.cache.order(denied[0])
    assert first.status_string() == "DENIED"
    retries = [
        o
        for o in harness.engine.cache.orders(instrument_id=first.instrument_id)
        if purpose_of(o.client_order_id) == "kill" and o.client_order_id != first.client_order_id
    ]
    assert retries and retries[0].client_order_id.value.startswith("K1-")
    assert retries[0].ts_init > first.ts_init  # after the backoff, on the engine clock
    assert any(o.is_closed and o.filled_qty > 0 for o in retries)
    critical = [a for a in harness.sink.get("alerts") if a.code == "flatten_denied"]
    assert critical and all(a.severity == "critical" for a in critical)
    flatten = strategy.risk.supervisor.state.last_flatten
    assert flatten is not None and flatten.ts >= retries[0].ts_init  # recorded once flat, not at the kill
    assert strategy.journal.counters["close_retries"] >= 1
