"""What the news worker already published, bounded, and its rebuild after a restart.

Each ``news.scored`` record carries two headers: :data:`STAMP_HEADER`, the deduplicator's clock when its
item was admitted (``BatchResult.stamps``), and :data:`SOURCE_HEADER`, the ``news.raw`` partition and
offset it came from. On restart the consumer group resumes at its committed offsets, so the inputs from
there on are processed again. :func:`restore` therefore rebuilds

- the deduplicator as it stood at the committed offsets: from the records of *committed* inputs stamped
  within the dedup window of the newest of them, with its clock at that newest stamp; the redelivered
  inputs then meet the same window, in the same order, as the first time; and
- the :class:`PublishedWindow` of ``(news_id, instrument)`` pairs: the committed records of that window,
  plus every record of a redelivered input *pinned* (kept whatever its age: on sparse historical news
  the redelivered inputs can span more event time than the window) until the worker has consumed past
  it. A redelivered item is scored again for all its instruments and only the pairs not yet on the topic
  are published, so a crash between the acks of one item's instruments loses none and repeats none.

Stamps and sources grow along the topic, so the records needed are a tail of it, which
:func:`streams.faust_app.read_tail` reads back without reading the topic.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping

import msgspec

from engine.news.dedup import Deduplicator
from engine.news.processor import BatchResult
from schemas.market import NewsScored

STAMP_HEADER = "aureus-dedup-stamp"
SOURCE_HEADER = "aureus-source"


class Published(msgspec.Struct, frozen=True):
    """One record read back from ``news.scored``: the item, its stamp and its ``news.raw`` origin."""

    item: NewsScored
    stamp: int
    partition: int | None = None
    offset: int | None = None


def headers_for(stamp: int, partition: int, offset: int) -> list[tuple[str, bytes]]:
    """The Kafka headers of an item admitted at ``stamp`` from ``news.raw`` ``partition``/``offset``."""
    return [(STAMP_HEADER, str(stamp).encode()), (SOURCE_HEADER, f"{partition}:{offset}".encode())]


def stamp_of(headers, item: NewsScored | None) -> int | None:
    """The stamp in ``headers``; records without one (older writers) fall back to the item's event time."""
    for name, value in headers or ():
        if name == STAMP_HEADER:
            try:
                return int(value)
            except ValueError:
                break
    return item.ts_event if item is not None else None


def source_of(headers) -> tuple[int, int] | None:
    """The ``(partition, offset)`` in ``headers``, ``None`` when absent or malformed."""
    for name, value in headers or ():
        if name == SOURCE_HEADER:
            partition, _, offset = value.decode(errors="replace").partition(":")
            try:
                return int(partition), int(offset)
            except ValueError:
                return None
    return None


def redeliverable(source: tuple[int, int] | None, committed: Mapping[int, int | None]) -> bool:
    """Whether the input at ``source`` will be consumed again: at or past its partition's committed offset,
    or from a partition with nothing committed. Records without a source (older writers) are judged by
    their stamp alone."""
    if source is None:
        return False
    done = committed.get(source[0])
    return done is None or source[1] >= done


class PublishedWindow:
    """``(news_id, instrument)`` pairs published within ``window_ns`` of the newest stamp, at most
    ``max_entries`` of them (the oldest leave early and are counted in ``evicted_early``), plus the pinned
    pairs of inputs a restart will see again."""

    def __init__(self, window_ns: int, max_entries: int) -> None:
        self.window_ns = window_ns
        self.max_entries = max_entries
        self.evicted_early = 0
        self._pairs: OrderedDict[tuple[str, str], int] = OrderedDict()
        self._pinned: dict[int, tuple[int, set[tuple[str, str]]]] = {}  # partition -> (last offset, pairs)

    def __contains__(self, pair: tuple[str, str]) -> bool:
        return pair in self._pairs or any(pair in pairs for _, pairs in self._pinned.values())

    def __len__(self) -> int:
        return len(self._pairs) + sum(len(pairs) for _, pairs in self._pinned.values())

    def add(self, pair: tuple[str, str], stamp: int) -> None:
        """Remember ``pair`` as published at ``stamp``."""
        self._pairs[pair] = stamp
        self._pairs.move_to_end(pair)
        while len(self._pairs) > self.max_entries:
            self._pairs.popitem(last=False)
            self.evicted_early += 1

    def pin(self, pair: tuple[str, str], partition: int, offset: int) -> None:
        """Keep ``pair`` until the worker consumes past ``offset`` of ``partition``."""
        last, pairs = self._pinned.get(partition, (offset, set()))
        pairs.add(pair)
        self._pinned[partition] = (max(last, offset), pairs)

    def release(self, partition: int, offset: int) -> None:
        """The worker consumed ``offset`` of ``partition``: unpin its pairs once past the last pinned one."""
        pinned = self._pinned.get(partition)
        if pinned is not None and offset > pinned[0]:
            del self._pinned[partition]

    def expire(self, now: int) -> None:
        """Forget unpinned pairs stamped more than the window before ``now``."""
        horizon = now - self.window_ns
        while self._pairs and next(iter(self._pairs.values())) < horizon:
            self._pairs.popitem(last=False)


def unpublished(result: BatchResult, published: PublishedWindow) -> list[tuple[NewsScored, int, int]]:
    """The ``(item, stamp, origin index)`` triples of a processed batch not yet published."""
    return [
        (item, stamp, origin)
        for item, stamp, origin in zip(result.scored, result.stamps, result.origins, strict=True)
        if (item.news_id, item.instrument) not in published
    ]


def mark_published(
    published: PublishedWindow, items: Iterable[tuple[NewsScored, int, int]], now: int
) -> None:
    """Record ``items`` as published (after the broker acked them) and expire the window at ``now``."""
    for item, stamp, _ in items:
        published.add((item.news_id, item.instrument), stamp)
    published.expire(now)


class RestoreStats(msgspec.Struct, frozen=True):
    """What a restart rebuilt: records fed, distinct news ids in the dedup window, pairs kept, pinned."""

    records: int
    news_ids: int
    pairs: int
    pinned: int


def restore(
    dedup: Deduplicator,
    published: PublishedWindow,
    records: Iterable[Published],
    committed: Mapping[int, int | None],
) -> RestoreStats:
    """Rebuild ``dedup`` and ``published`` from records read back in topic order (see the module doc).

    ``committed`` maps each ``news.raw`` partition to the group's committed offset (``None``: nothing
    committed). Records without a source header (older writers) count as committed.
    """
    records = list(records)
    pinned = [r for r in records if redeliverable(_source(r), committed)]
    done = [r for r in records if not redeliverable(_source(r), committed)]
    newest = max((r.stamp for r in done), default=None)
    groups: dict[str, tuple[NewsScored, int, list[str]]] = {}
    for r in done:
        if r.stamp < newest - dedup.window_ns:
            continue
        published.add((r.item.news_id, r.item.instrument), r.stamp)
        _, _, instruments = groups.setdefault(r.item.news_id, (r.item, r.stamp, []))
        if r.item.instrument not in instruments:
            instruments.append(r.item.instrument)
    for item, stamp, instruments in groups.values():
        dedup.restore(item.headline, instruments, stamp)
    published.expire(dedup.now)
    for r in pinned:
        published.pin((r.item.news_id, r.item.instrument), r.partition, r.offset)
    return RestoreStats(records=len(records), news_ids=len(groups), pairs=len(published), pinned=len(pinned))


def _source(record: Published) -> tuple[int, int] | None:
    return None if record.partition is None or record.offset is None else (record.partition, record.offset)
