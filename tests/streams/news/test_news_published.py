"""The news worker's bounded state without a broker: dedup and published windows evict by event time and
by size, and a restart rebuilt from the tail of its own output publishes exactly what an uninterrupted
run does (real StockNet tweets, a crash mid-batch between the acks of one item's instruments)."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from datetime import datetime

import pytest

from aureus.paths import REPO_ROOT
from engine.config import NewsWorkerConfig
from engine.news.dedup import Deduplicator
from engine.news.linking import InstrumentLinker
from engine.news.processor import NewsProcessor
from schemas.market import NewsRaw, NewsScored
from streams.news.published import (
    SOURCE_HEADER,
    STAMP_HEADER,
    Published,
    PublishedWindow,
    headers_for,
    mark_published,
    redeliverable,
    restore,
    source_of,
    stamp_of,
    unpublished,
)

DATA = REPO_ROOT.parent / "shared" / "data"
TABLES = [DATA / "sp500_sectors" / "constituents.csv", DATA / "stocknet_daily_88" / "StockTable.tsv"]
TWEETS = DATA / "stocknet_tweets" / "stocknet_tweets_preprocessed.jsonl.gz"
T0 = 1_577_836_800 * 10**9
MINUTE = 60 * 10**9
HOUR = 60 * MINUTE
BATCH = 8


class FakeScorer:
    name = "fake"

    def score(self, texts: list[str]) -> list[float]:
        return [0.5 if "up" in t else -0.5 if "down" in t else 0.0 for t in texts]


@pytest.fixture(scope="module")
def linker() -> InstrumentLinker:
    return InstrumentLinker.from_files(TABLES)


@pytest.fixture(scope="module")
def tweets() -> list[NewsRaw]:
    items = []
    with gzip.open(TWEETS, "rt") as f:
        for i, line in enumerate(f):
            if i >= 1500:
                break
            row = json.loads(line)
            ts = int(datetime.strptime(row["created_at"], "%a %b %d %H:%M:%S %z %Y").timestamp()) * 10**9
            items.append(NewsRaw(source="stocknet", ts_event=ts, headline=row["text"]))
    return sorted(items, key=lambda item: item.ts_event)


def test_dedup_forgets_by_event_time_and_caps_its_size_with_a_count():
    dedup = Deduplicator(window_ns=10 * MINUTE, threshold=0.8)
    for i in range(100):
        assert dedup.check(f"headline number {i} about apple", ["AAPL"], T0 + i * MINUTE) is None
    assert len(dedup) == 11 and dedup.evicted_early == 0  # stamps T0+89min .. T0+99min
    capped = Deduplicator(window_ns=10**18, threshold=0.8, max_entries=50)
    for i in range(200):
        capped.check(f"headline number {i} about apple", ["AAPL"], T0 + i)
    assert len(capped) == 50 and capped.evicted_early == 150
    assert capped.check("headline number 199 about apple", ["AAPL"], T0 + 200) == "exact"
    assert capped.check("headline number 0 about apple", ["AAPL"], T0 + 201) is None  # evicted early


def test_early_evictions_reach_the_metrics():
    from streams.metrics import NEWS_STATE_EVICTED, NEWS_STATE_SIZE, NewsState

    dedup = Deduplicator(window_ns=10**18, threshold=0.8, max_entries=5)
    window = PublishedWindow(window_ns=10**18, max_entries=3)
    state = NewsState("test-evictions")
    for i in range(8):
        dedup.check(f"headline number {i} about apple", ["AAPL"], T0 + i)
        window.add((f"id{i}", "AAPL.NASDAQ"), T0 + i)
        state.observe(dedup, window)
    assert NEWS_STATE_EVICTED.labels("test-evictions", "dedup")._value.get() == 3
    assert NEWS_STATE_EVICTED.labels("test-evictions", "published")._value.get() == 5
    assert NEWS_STATE_SIZE.labels("test-evictions", "published")._value.get() == 3


def test_published_window_expires_by_stamp_and_caps_its_size():
    window = PublishedWindow(window_ns=10 * MINUTE, max_entries=3)
    for i in range(3):
        window.add((f"id{i}", "AAPL.NASDAQ"), T0 + i * MINUTE)
    window.expire(T0 + 11 * MINUTE)
    assert ("id0", "AAPL.NASDAQ") not in window and ("id1", "AAPL.NASDAQ") in window
    assert window.evicted_early == 0
    for i in range(3, 6):
        window.add((f"id{i}", "AAPL.NASDAQ"), T0 + 11 * MINUTE)
    assert len(window) == 3 and window.evicted_early == 2


def test_headers_round_trip_and_old_records_fall_back_to_event_time():
    item = NewsScored(source="s", ts_event=T0, instrument="AAPL.NASDAQ", headline="h", sentiment=0.0)
    headers = headers_for(T0 + 5, 2, 41)
    assert stamp_of(headers, item) == T0 + 5 and source_of(headers) == (2, 41)
    assert stamp_of([("other", b"1")], item) == T0 and source_of([]) is None
    assert stamp_of([(STAMP_HEADER, b"junk")], None) is None
    assert source_of([(SOURCE_HEADER, b"x:y")]) is None


def test_redeliverable_is_at_or_past_the_committed_offset():
    assert redeliverable((0, 10), {0: 10}) and not redeliverable((0, 9), {0: 10})
    assert redeliverable((1, 0), {0: 10, 1: None}) and redeliverable((3, 0), {})
    assert not redeliverable(None, {0: 10})


def test_pinned_pairs_outlive_the_window_until_consumed_past():
    window = PublishedWindow(window_ns=MINUTE, max_entries=10)
    window.pin(("old", "AAPL.NASDAQ"), 0, 7)
    window.add(("new", "AAPL.NASDAQ"), T0)
    window.expire(T0 + 10 * MINUTE)
    assert ("old", "AAPL.NASDAQ") in window and ("new", "AAPL.NASDAQ") not in window
    window.release(0, 7)
    assert ("old", "AAPL.NASDAQ") in window
    window.release(0, 8)
    assert ("old", "AAPL.NASDAQ") not in window and len(window) == 0


class Worker:
    """The news worker's loop without Kafka: process, publish what is new (with its stamp and source
    offset, as the headers carry them), record it, release pins."""

    def __init__(self, linker, config: NewsWorkerConfig) -> None:
        self.processor = NewsProcessor(config, linker, FakeScorer())
        self.published = PublishedWindow(self.processor.dedup.window_ns, config.dedup_max_items)

    def step(self, batch, first_offset: int, topic: list[Published], keep: int | None = None) -> list:
        fresh = unpublished(self.processor.process(batch), self.published)
        acked = fresh if keep is None else fresh[:keep]
        topic.extend(Published(item, stamp, 0, first_offset + i) for item, stamp, i in acked)
        mark_published(self.published, acked, self.processor.dedup.now)
        self.published.release(0, first_offset + len(batch) - 1)
        return fresh


def _batches(items):
    return [items[i : i + BATCH] for i in range(0, len(items), BATCH)]


def _items(topic: list[Published]) -> Counter:
    return Counter(r.item for r in topic)


def _read_tail(topic: list[Published], window_ns: int, committed: int) -> list[Published]:
    """What ``read_tail`` returns: records of redelivered inputs, and the others in the window of the
    newest of those others."""
    newest = max((r.stamp for r in topic if r.offset < committed), default=None)
    first = next(
        i
        for i, r in enumerate(topic)
        if newest is None or r.offset >= committed or r.stamp >= newest - window_ns
    )
    return topic[first:]


def _crash_and_restart(linker, tweets, config, crash: int, keep: int | None, redelivered: int):
    """Run until batch ``crash``, of which the broker acks only the first ``keep`` outputs, restart from
    the tail with the last ``redelivered`` batches uncommitted, and run to the end."""
    batches = _batches(tweets)
    topic: list[Published] = []
    first = Worker(linker, config)
    for k in range(crash):
        first.step(batches[k], k * BATCH, topic)
    first.step(batches[crash], crash * BATCH, topic, keep=keep)
    at_crash = len(topic)
    committed = (crash - redelivered + 1) * BATCH
    tail = _read_tail(topic, first.processor.dedup.window_ns, committed)
    second = Worker(linker, config)
    stats = restore(second.processor.dedup, second.published, tail, {0: committed})
    assert stats.records == len(tail)
    for k in range(crash - redelivered + 1, len(batches)):
        second.step(batches[k], k * BATCH, topic)
    return topic, at_crash, len(tail), stats


@pytest.mark.parametrize("window_h", [6, 24, 24 * 30])
def test_restarts_publish_each_item_once_with_nothing_lost(linker, tweets, window_h):
    """Crashes at a dozen points of 1,500 real tweets, each after the broker acked all but the last output
    of the batch in flight, with that batch and the two before it uncommitted (their inputs come again).
    6 hours is shorter than three batches of these sparse tweets span (the pinned pairs matter), 30 days
    far longer (the rebuilt dedup window matters)."""
    config = NewsWorkerConfig(dedup_window_s=window_h * 3600)
    batches = _batches(tweets)
    reference: list[Published] = []
    uninterrupted = Worker(linker, config)
    fresh_by_batch = [uninterrupted.step(b, k * BATCH, reference) for k, b in enumerate(batches)]
    pinned = 0
    for crash in range(20, len(batches), 15):
        keep = len(fresh_by_batch[crash]) - 1 if fresh_by_batch[crash] else None
        topic, at_crash, read, stats = _crash_and_restart(linker, tweets, config, crash, keep, 3)
        pairs = Counter((r.item.news_id, r.item.instrument) for r in topic)
        assert max(pairs.values()) == 1, f"crash at batch {crash}: an item was published twice"
        assert _items(topic) == _items(reference), f"crash at batch {crash}: lost or extra items"
        if window_h <= 24 and crash >= len(batches) // 2:
            assert read < at_crash / 2, f"crash at batch {crash}: read {read} of {at_crash} back"
        pinned += stats.pinned
    assert pinned > 0


def test_a_crash_between_the_acks_of_one_items_instruments_loses_none(linker, tweets):
    config = NewsWorkerConfig()
    batches = _batches(tweets)
    reference: list[Published] = []
    uninterrupted = Worker(linker, config)
    fresh_by_batch = [uninterrupted.step(b, k * BATCH, reference) for k, b in enumerate(batches)]
    crash = next(
        k
        for k in range(len(batches) // 2, len(batches))
        if len(f := fresh_by_batch[k]) >= 2 and f[-1][0].news_id == f[-2][0].news_id
    )
    topic, *_ = _crash_and_restart(linker, tweets, config, crash, len(fresh_by_batch[crash]) - 1, 1)
    assert _items(topic) == _items(reference)
    assert max(Counter((r.item.news_id, r.item.instrument) for r in topic).values()) == 1
