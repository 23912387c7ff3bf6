"""Pure step of the audit worker: one topic message -> an entry to chain, or a dead letter.

The payload chained is the message re-encoded canonically (:func:`schemas.codec.encode`: sorted keys,
compact JSON), so equal events make equal records however the producer spelled them.
"""

from __future__ import annotations

import msgspec

from schemas.codec import decode, encode
from schemas.dlq import DeadLetter, dead_letter_from
from schemas.errors import SchemaDecodeError


class AuditEntry(msgspec.Struct, frozen=True):
    """What the ledger writer appends: the event time, the kind (source topic) and canonical bytes."""

    ts_event: int
    kind: str
    payload: bytes


def audit_entry(
    topic: str, key: bytes | str | None, raw: bytes, *, consumer: str = "audit"
) -> AuditEntry | DeadLetter:
    """Decode ``raw`` as a ``topic`` message and return its ledger entry, or its dead letter.

    A dead letter's ``ts_event`` is 0: the message had no readable time and the worker must not use the
    wall clock for anything that reaches the ledger.
    """
    try:
        event = decode(topic, raw)
    except SchemaDecodeError as e:
        return dead_letter_from(e, key=key, ts_event=0, consumer=consumer)
    return AuditEntry(ts_event=event.ts_event, kind=topic, payload=encode(topic, event))
