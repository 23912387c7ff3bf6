"""The book's NAV and signed notionals are read from Nautilus only after an event that can move them; at
every portfolio step of a replay that trades (entries, stops, trims, spot shorts, a purge of the cache)
they must equal what Nautilus's account and positions say right then."""

import math
from pathlib import Path

import pytest
from strategy_harness import Harness


@pytest.fixture(scope="module")
def recording(tmp_path_factory) -> Path:
    from adapters.synthetic import synthesize

    path = tmp_path_factory.mktemp("book") / "rec"
    synthesize(11, path, days=3)
    return path


def _plain_nav(strategy) -> float:
    """NAV as the strategy computed it on every step before the cache: balances, then open positions."""
    nav = 0.0
    for venue, currency in strategy._venue_currency.items():
        account = strategy.portfolio.account(venue)
        balance = account.balance_total(currency) if account is not None else None
        if balance is None:
            return math.nan
        nav += balance.as_double()
    for position in strategy.cache.positions_open(strategy_id=strategy.id):
        last = strategy._state[position.instrument_id].last_close
        nav += position.signed_qty * (last - position.avg_px_open)
    return nav


def _plain_notionals(strategy) -> dict[str, float]:
    out = {}
    for instrument_id, st in strategy._state.items():
        qty = float(strategy.portfolio.net_position(instrument_id))
        out[st.spec.instrument_id] = qty * st.last_close if qty else 0.0
    return out


def test_the_cached_book_equals_nautilus_at_every_step(recording, tmp_path):
    harness = Harness(
        recording, tmp_path / "state", "shorting.spot=true", "node.replay_cache_purge_interval_s=3600"
    )
    strategy = harness.strategy
    step = strategy._step
    seen = {"steps": 0, "held": 0, "flat": 0}

    def check() -> None:
        cached, plain = strategy._nav(), _plain_nav(strategy)
        assert cached == plain or (math.isnan(cached) and math.isnan(plain))
        notionals = strategy._signed_notionals()
        assert notionals == _plain_notionals(strategy)
        flat = notionals is strategy._flat_notionals
        assert flat == (not any(notionals.values()))
        seen["flat" if flat else "held"] += 1

    def checked_step(ts, instruments, *, trade=True):
        check()
        step(ts, instruments, trade=trade)
        check()  # orders sent in the step may have filled inside it
        seen["steps"] += 1

    strategy._step = checked_step
    harness.run()

    assert seen["steps"] > 1_000
    assert seen["held"] > 200 and seen["flat"] > 200
    assert strategy.journal.fills > 20
    assert strategy.journal.counters["cache_purges"] > 0
