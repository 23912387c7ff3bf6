"""A protective stop rejected "in the market" never leaves a position unprotected (strategies.protection).

On the default synthetic session a take-profit fills through the price at 07:21 on day one and the next
bracket's stop, submitted on that bar, is rejected in the market (its take-profit is cancelled with it).
"""

from pathlib import Path

import pytest
from nautilus_trader.model.enums import OrderStatus, OrderType
from strategy_harness import Harness

from strategies.order_ids import attempt_of, decision_ts_of, purpose_of

MIN_NS = 60 * 10**9


@pytest.fixture(scope="module")
def session(tmp_path_factory) -> Path:
    from adapters.synthetic import synthesize

    path = tmp_path_factory.mktemp("synth") / "rec"
    synthesize(11, path)  # the default session (`make run`)
    return path


def test_a_rejected_stop_is_resubmitted_or_the_position_closed_at_the_next_step(session, tmp_path):
    # the rejected stops of this session protect shorts (spot is long-only by default)
    harness = Harness(session, tmp_path / "state", "shorting.spot=true", max_bars=4 * 480)
    harness.run()
    strategy = harness.strategy
    counters = strategy.journal.counters
    orders = harness.engine.cache.orders()
    rejected = [
        o for o in orders if purpose_of(o.client_order_id) == "stop" and o.status == OrderStatus.REJECTED
    ]

    assert rejected, "the session no longer produces a stop rejected in the market"
    assert counters["stops_failed"] == len(rejected)
    assert counters["stops_resubmitted"] + counters["reprotect_closes"] >= len(rejected)
    alerts = [a for a in harness.sink.channels["alerts"] if a.code == "stop_rejected"]
    assert len(alerts) == len(rejected) and all(a.severity == "critical" for a in alerts)
    for stop in rejected:
        instrument = stop.instrument_id
        later = [
            o
            for o in orders
            if o.instrument_id == instrument
            and purpose_of(o.client_order_id) in ("stop", "flatten")
            and o.client_order_id != stop.client_order_id
            and decision_ts_of(o.client_order_id) > decision_ts_of(stop.client_order_id)
        ]
        first = min(later, key=lambda o: decision_ts_of(o.client_order_id))
        # the very next minute: a stop at the same level (attempt + 1), or a close at market
        assert decision_ts_of(first.client_order_id) == decision_ts_of(stop.client_order_id) + MIN_NS
        if purpose_of(first.client_order_id) == "stop":
            assert first.order_type == OrderType.STOP_MARKET and first.is_reduce_only
            assert first.trigger_price == stop.trigger_price
            assert attempt_of(first.client_order_id) == attempt_of(stop.client_order_id) + 1
        else:
            assert first.is_reduce_only and "stop_through" in first.tags
