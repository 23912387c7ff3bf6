"""Order, fill, risk, control events -> audit worker process -> a ledger that verifies, across a kill -9."""

from __future__ import annotations

import pytest
from worker_harness import WorkerProcess, garbage, overrides, produce, unique_letters, wait_for

from adapters.audit.ledger import read_ledger, verify_ledger
from schemas.codec import decode, encode
from schemas.orders import OrderIntent
from schemas.risk import ClampHit

T0 = 1_700_000_000 * 10**9
N = 400


def _events() -> list[tuple[str, bytes, bytes]]:
    out = []
    for i in range(N):
        order = OrderIntent(
            instrument="AAPL.XNAS",
            ts_event=T0 + i,
            client_order_id=f"O-{i}",
            side="BUY",
            size_pre=0.01,
            size_post_risk=0.01,
            price_ref=100.0 + i,
            reason_tags=("test",),
            policy_version="v1",
            mode="demo",
        )
        out.append(("orders", b"AAPL.XNAS", encode("orders", order)))
        if i % 10 == 0:
            hit = ClampHit(
                instrument="AAPL.XNAS",
                ts_event=T0 + i,
                clamp="name_cap",
                reason="cap",
                requested=0.05,
                allowed=0.03,
                limit=0.03,
            )
            out.append(("risk", b"AAPL.XNAS", encode("risk", hit)))
    return out


@pytest.mark.slow
async def test_audit_worker_ledger_verifies_with_no_gap_or_repeat_across_a_kill_9(
    kafka_bootstrap, topic_prefix, tmp_path
):
    events = _events()
    bad = {topic: garbage(topic, 8) for topic in ("orders", "fills", "risk", "control")}
    poison = [(topic, b"junk", value) for topic, values in bad.items() for value in values]
    messages = events[: len(events) // 2] + poison + events[len(events) // 2 :]
    ledger = tmp_path / "audit.jsonl"
    args = overrides(kafka_bootstrap, topic_prefix, tmp_path / "faust") + [f"audit.ledger_path={ledger}"]

    first = WorkerProcess("audit", args, tmp_path / "audit-1.log")
    try:
        # Half the stream, kill, then the rest: the restart always lands mid-stream.
        await produce(kafka_bootstrap, topic_prefix, messages[: len(messages) // 2])
        await wait_for(kafka_bootstrap, topic_prefix, "audit", 1, 120, first)
        first.kill9()
        await produce(kafka_bootstrap, topic_prefix, messages[len(messages) // 2 :])
    finally:
        first.stop()
    at_kill = len(list(read_ledger(ledger)))

    second = WorkerProcess("audit", args, tmp_path / "audit-2.log")
    try:
        published = await wait_for(kafka_bootstrap, topic_prefix, "audit", len(events), 300, second)
        for _ in range(30):  # the count can be reached with repeats before the last records land
            if {decode("audit", v).seq for v in published} >= set(range(len(events))):
                break
            published = await wait_for(kafka_bootstrap, topic_prefix, "audit", len(published) + 1, 10, second)
        second.assert_alive()
    finally:
        second.stop()
    records = list(read_ledger(ledger))
    on_topic = [decode("audit", v) for v in published]
    repeats = len(on_topic) - len({r.seq for r in on_topic})
    print(
        f"audit: {len(events)} events, {at_kill} ledger records at kill -9, {len(records)} after restart, "
        f"{len(on_topic)} on the audit topic ({repeats} transport repeats of identical records)"
    )
    assert verify_ledger(ledger).ok
    # One partition per topic: each topic's order is kept; how topics interleave is the consumer's choice.
    for name in ("orders", "risk"):
        assert [r.payload for r in records if r.kind == name] == [v for t, _, v in events if t == name]
    assert len(records) == len(events)
    # Without an idempotent producer (tansu) a retried batch can repeat on the topic: readers key by seq.
    by_seq = {r.seq: r for r in on_topic}
    assert all(by_seq[r.seq] == r for r in on_topic), "two different records with one seq (a fork)"
    missing = sorted(set(range(len(records))) - set(by_seq))
    log_tail = (tmp_path / "audit-2.log").read_text()[-3000:]
    assert not missing, f"the audit topic lacks ledger seqs {missing[:20]}; worker log tail:\n{log_tail}"
    assert [by_seq[s] for s in sorted(by_seq)] == records
    for topic, values in bad.items():
        letters = await wait_for(kafka_bootstrap, topic_prefix, f"dlq.{topic}", len(values), 30)
        assert sorted(unique_letters(f"dlq.{topic}", letters)) == sorted(values)
