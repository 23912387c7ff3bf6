"""The audit worker's pure step: events become canonical ledger entries; garbage becomes a dead letter."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client import REGISTRY

from engine.news.processor import BatchResult
from schemas.codec import encode
from schemas.dlq import DeadLetter
from schemas.market import NewsRaw
from schemas.risk import ClampHit
from streams.audit.processor import AuditEntry, audit_entry
from streams.metrics import SourceHealth

T0 = 1_700_000_000 * 10**9


def test_entry_is_the_canonical_encoding_whatever_the_producer_spelled():
    hit = ClampHit(
        instrument="AAPL.XNAS",
        ts_event=T0,
        clamp="name_cap",
        reason="cap",
        requested=0.05,
        allowed=0.03,
        limit=0.03,
    )
    spelled_differently = b" " + encode("risk", hit).replace(b",", b" , ") + b"\n"
    entry = audit_entry("risk", b"AAPL.XNAS", spelled_differently)
    assert entry == AuditEntry(ts_event=T0, kind="risk", payload=encode("risk", hit))


@settings(max_examples=200, deadline=None)
@given(
    topic=st.sampled_from(["orders", "fills", "risk", "control"]),
    raw=st.one_of(st.binary(max_size=200), st.text(max_size=80).map(lambda t: ('{"type":' + t).encode())),
)
def test_garbage_on_any_audited_topic_is_a_dead_letter_with_its_bytes(topic, raw):
    out = audit_entry(topic, b"k", raw)
    assert isinstance(out, DeadLetter)
    assert (out.topic, out.raw, out.key, out.consumer) == (topic, raw, "k", "audit") and out.error


def test_source_health_counts_by_source_and_outcome():
    good = NewsRaw(source="Benzinga", ts_event=T0, headline="Apple beats")
    empty = NewsRaw(source="stocknet", ts_event=T0, headline=" ")
    result = BatchResult(scored=[], rejected=[(empty, "empty headline")], counts={"duplicate_exact": 2})

    def value(name, **labels):
        return REGISTRY.get_sample_value(name, labels) or 0.0

    before = value("aureus_news_source_items_total", worker="t", source="benzinga", outcome="success")
    SourceHealth("t").observe_batch([good, empty], result, 0.01)
    assert (
        value("aureus_news_source_items_total", worker="t", source="benzinga", outcome="success")
        == before + 1
    )
    assert value("aureus_news_source_items_total", worker="t", source="stocknet", outcome="empty") >= 1
    assert value("aureus_news_outcomes_total", worker="t", outcome="duplicate_exact") >= 2
    assert value("aureus_news_source_freshness_seconds", worker="t", source="benzinga") > 0
