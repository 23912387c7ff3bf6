"""Event heat from the ``md.options_oi`` input: the real option-chain snapshot raises REGIME_AUDITOR."""

from __future__ import annotations

import msgspec
import pytest
from test_escalation_sink import MIN, T, row
from test_escalation_triggers import SNAPSHOT

from adapters.importers.options_oi import read_put_call_snapshot
from engine.config import AureusConfig
from engine.escalation.sink import EscalationSink
from engine.sink import EQUITY, CollectingSink
from schemas.codec import decode, encode
from schemas.errors import SchemaDecodeError
from schemas.topics import ESCALATIONS, message_key


def test_the_snapshot_publishes_per_underlying_open_interest_that_round_trips():
    snap = read_put_call_snapshot(SNAPSHOT)
    messages = snap.messages(T)
    assert [m.instrument for m in messages] == sorted(snap.open_interest)
    assert sum(m.contracts for m in messages) == snap.contracts
    by_name = {m.instrument: m for m in messages}
    assert by_name["DIA"].ratio == pytest.approx(2.06, abs=0.005)
    for m in messages:
        assert decode("md.options_oi", encode("md.options_oi", m)) == m
        assert message_key("md.options_oi", m) == m.instrument
        if m.ratio is not None:
            assert m.ratio == pytest.approx(snap.ratios[m.instrument], rel=1e-12)


def test_bad_options_messages_fail_decoding_with_the_schema_error_dead_lettering_uses():
    good = read_put_call_snapshot(SNAPSHOT).messages(T)[0]
    negative = msgspec.json.decode(encode("md.options_oi", good))
    negative["put_oi"] = -1.0
    for raw in (b"not json", msgspec.json.encode(negative)):
        with pytest.raises(SchemaDecodeError) as caught:
            decode("md.options_oi", raw)
        assert caught.value.topic == "md.options_oi" and caught.value.raw == raw


def test_the_real_snapshot_raises_event_heat_once_the_clock_reaches_it():
    inner = CollectingSink()
    sink = EscalationSink(inner, AureusConfig().escalation, {"BTCUSDT.BINANCE": "core"})
    for message in read_put_call_snapshot(SNAPSHOT).messages(T + MIN):
        sink.on_put_call(message)
    sink.emit(EQUITY, row(T, 100_000.0, 0.0))
    assert inner.get(ESCALATIONS) == []  # the snapshot is not in effect before its time
    sink.emit(EQUITY, row(T + MIN, 100_000.0, 0.0))
    (request,) = inner.get(ESCALATIONS)
    assert (request.trigger, request.call_type) == ("event_heat", "REGIME_AUDITOR")
    assert request.body.portfolio_state.net_liquidity == 100_000.0
    sink.emit(EQUITY, row(T + 2 * MIN, 100_000.0, 0.0))
    assert len(inner.get(ESCALATIONS)) == 1  # once per escalation.trigger_window_s
