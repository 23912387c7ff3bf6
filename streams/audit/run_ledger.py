"""The ledger of one replay run (``OUT/audit.jsonl``): the same records the audit worker would write.

The replay sink keeps outputs per channel; they are merged by event time (channel order, then emission
order, breaks ties) so the ledger is the same bytes on every rerun of the same data, config and code.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from adapters.audit.ledger import LedgerWriter, head_path
from engine.sink import CollectingSink
from schemas.codec import encode


def write_run_ledger(path: Path, sink: CollectingSink, topics: Iterable[str]) -> int:
    """Write a fresh ledger of ``sink``'s messages on ``topics``; returns the number of records.

    Parameters
    ----------
    path : Path
        The ledger file; an earlier run's ledger (and head) there is replaced, not continued.
    sink : CollectingSink
        The replay's outputs.
    topics : iterable of str
        Audited channels (``audit.topics``: orders, fills, risk, control).
    """
    rows = []
    for rank, topic in enumerate(topics):
        for index, message in enumerate(sink.get(topic)):
            rows.append((message.ts_event, rank, index, topic, message))
    rows.sort(key=lambda row: row[:3])
    for stale in (path, head_path(path)):
        stale.unlink(missing_ok=True)
    with LedgerWriter(path, fsync=False, deduplicate=False) as writer:
        for ts_event, _rank, _index, topic, message in rows:
            writer.append(ts_event=ts_event, kind=topic, payload=encode(topic, message))
        return 0 if writer.last is None else writer.last.seq + 1
