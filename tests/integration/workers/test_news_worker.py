"""news.raw -> news worker process -> news.scored on the real broker, through a kill -9 mid-stream."""

from __future__ import annotations

import asyncio
import gzip
import json
from datetime import datetime
from pathlib import Path

import pytest
from worker_harness import WorkerProcess, garbage, overrides, produce, read_values, unique_letters, wait_for

from aureus.paths import REPO_ROOT
from engine.config import NewsWorkerConfig
from schemas.codec import decode, encode
from schemas.market import NewsRaw
from streams.news.build import build_processor

TWEETS = REPO_ROOT.parent / "shared" / "data" / "stocknet_tweets" / "stocknet_tweets_preprocessed.jsonl.gz"
N_TWEETS = 1500


def _tweets() -> list[NewsRaw]:
    items = []
    with gzip.open(TWEETS, "rt") as f:
        for i, line in enumerate(f):
            if i >= N_TWEETS:
                break
            row = json.loads(line)
            ts = int(datetime.strptime(row["created_at"], "%a %b %d %H:%M:%S %z %Y").timestamp()) * 10**9
            items.append(NewsRaw(source="stocknet", ts_event=ts, headline=row["text"]))
    return sorted(items, key=lambda item: item.ts_event)


async def _trickle(bootstrap: str, prefix: str, messages: list, midway: asyncio.Event) -> None:
    """Send ``messages`` 8 at a time, 0.1 s apart; set ``midway`` after half of them."""
    for start in range(0, len(messages), 8):
        await produce(bootstrap, prefix, messages[start : start + 8])
        if start >= len(messages) // 2:
            midway.set()
        await asyncio.sleep(0.1)


def _restored(log: Path) -> dict:
    """The ``news_worker_restored`` event of a worker's log."""
    for line in log.read_text(errors="replace").splitlines():
        if "news_worker_restored" in line:
            event = json.loads(line[line.index("{") :])
            if event.get("event") == "news_worker_restored":
                return event
    raise AssertionError(f"no news_worker_restored in {log}")


@pytest.mark.slow
async def test_news_worker_scores_everything_once_across_a_kill_9(kafka_bootstrap, topic_prefix, tmp_path):
    items = _tweets()
    expected = {(s.news_id, s.instrument) for s in build_processor(NewsWorkerConfig()).process(items).scored}
    bad = garbage("news.raw")
    messages = [("news.raw", b"stocknet", encode("news.raw", item)) for item in items]
    half = len(messages) // 2
    messages = messages[:half] + [("news.raw", b"junk", value) for value in bad] + messages[half:]
    # Small restore chunks, so reading back only the tail shows on a topic of ~1,000 records; commits
    # every 3 s, so the kill always leaves published items whose inputs come again.
    args = overrides(kafka_bootstrap, topic_prefix, tmp_path / "faust") + [
        "news_worker.batch_size=4",
        "news_worker.restore_chunk=64",
        "workers.commit_interval_s=3",
        # by time only: at the default of every 100 events a commit could land just before the kill
        "workers.commit_every=1000000",
    ]

    first = WorkerProcess("news", args, tmp_path / "news-1.log")
    half = len(messages) // 2
    try:
        # The first 40 messages until the worker publishes, then the rest of the first half trickled in
        # and the kill halfway through it, while the worker is busy (items published but their inputs not
        # yet committed come again), then the rest for the restarted worker.
        await produce(kafka_bootstrap, topic_prefix, messages[:40])
        await wait_for(kafka_bootstrap, topic_prefix, "news.scored", 1, 120, first)
        midway = asyncio.Event()
        trickle = asyncio.create_task(_trickle(kafka_bootstrap, topic_prefix, messages[40:half], midway))
        await midway.wait()
        first.assert_alive()
        first.kill9()
        await trickle
        before_kill = await read_values(kafka_bootstrap, topic_prefix, "news.scored")
        await produce(kafka_bootstrap, topic_prefix, messages[half:])
    finally:
        first.stop()
    seen_at_kill = len(await read_values(kafka_bootstrap, topic_prefix, "news.scored"))
    assert before_kill, "the worker published nothing before the kill"

    second = WorkerProcess("news", args, tmp_path / "news-2.log")
    try:
        values = await wait_for(kafka_bootstrap, topic_prefix, "news.scored", len(expected), 180, second)
        for _ in range(20):  # the count can be reached with repeats before the last items land
            if {
                (s.news_id, s.instrument) for s in map(lambda v: decode("news.scored", v), values)
            } >= expected:
                break
            values = await wait_for(kafka_bootstrap, topic_prefix, "news.scored", len(values) + 1, 10, second)
        second.assert_alive()
    finally:
        second.stop()
    got = [decode("news.scored", v) for v in values]
    pairs = [(s.news_id, s.instrument) for s in got]
    repeats = len(pairs) - len(set(pairs))
    restored = _restored(tmp_path / "news-2.log")
    print(
        f"news: {len(expected)} expected, {seen_at_kill} published before kill -9, "
        f"{len(pairs)} after restart "
        f"({repeats} transport repeats); the restart read {restored['fetched']} of "
        f"{restored['topic_records']} records back, kept {restored['restored_records']} "
        f"({restored['pinned']} pinned past committed offsets {restored['committed']})"
    )
    assert restored["fetched"] < restored["topic_records"], "the restart read the whole topic back"
    assert restored["pinned"] > 0, "the kill left no published item uncommitted: redelivery untested"
    by_pair = {}
    for item in got:
        assert by_pair.setdefault((item.news_id, item.instrument), item) == item, (
            "one id, two different items"
        )
    assert set(pairs) == expected, "lost or extra scored items"
    letters = await wait_for(kafka_bootstrap, topic_prefix, "dlq.news.raw", len(bad), 30)
    assert sorted(unique_letters("dlq.news.raw", letters)) == sorted(bad)
