"""``audit`` topic (key ``ledger``): a hash-chained, append-only record of what the engine did.

Each :class:`AuditRecord` stores the SHA-256 of its own content and of its predecessor, so changing,
removing, inserting or reordering any record breaks the chain from that point on. The hash is computed over
an unambiguous length-prefixed byte string (see :func:`record_hash`), not over JSON, so any language can
verify a ledger without reproducing msgspec's output.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Annotated

import msgspec

from schemas.common import SCHEMA_VERSION, TimestampNs

GENESIS_HASH = "0" * 64
"""``prev_hash`` of the first record of a ledger."""

_DOMAIN = b"aureus.audit.v1"


class AuditRecord(msgspec.Struct, tag="audit_record", frozen=True, kw_only=True):
    """One ledger entry.

    Parameters
    ----------
    seq : int
        Position in the ledger, from 0, contiguous.
    ts_event : int
        Nanoseconds, UTC, of the audited event.
    kind : str
        What ``payload`` is: usually the topic it came from (``orders``, ``fills``, ``control``, ...).
    payload : bytes
        The audited message's bytes, usually its JSON from :func:`schemas.codec.encode` (base64 in JSON).
    prev_hash : str
        Hex SHA-256 of the previous record, :data:`GENESIS_HASH` for the first.
    hash : str
        Hex SHA-256 of this record, from :func:`record_hash`.
    """

    schema_version: int = SCHEMA_VERSION
    seq: Annotated[int, msgspec.Meta(ge=0)]
    ts_event: TimestampNs
    kind: str
    payload: bytes
    prev_hash: str
    hash: str


class ChainBreak(msgspec.Struct, frozen=True, kw_only=True):
    """Where and why a ledger stops verifying.

    Parameters
    ----------
    index : int
        Position in the sequence given to :func:`find_chain_break`.
    seq : int
        The record's ``seq``.
    reason : str
        ``seq``, ``prev_hash`` or ``hash`` followed by what was expected.
    """

    index: int
    seq: int
    reason: str


def _part(data: bytes) -> bytes:
    return len(data).to_bytes(8, "big") + data


def record_hash(
    *, schema_version: int, seq: int, ts_event: int, kind: str, payload: bytes, prev_hash: str
) -> str:
    """Hex SHA-256 of a record's content.

    The digest covers ``b"aureus.audit.v1"`` followed by each field, in the order of the signature, as an
    8-byte big-endian length then its bytes (integers in decimal ASCII, strings in UTF-8).
    """
    digest = hashlib.sha256(_DOMAIN)
    for part in (
        str(schema_version).encode(),
        str(seq).encode(),
        str(ts_event).encode(),
        kind.encode(),
        bytes(payload),
        prev_hash.encode(),
    ):
        digest.update(_part(part))
    return digest.hexdigest()


def append_record(previous: AuditRecord | None, *, ts_event: int, kind: str, payload: bytes) -> AuditRecord:
    """Build the record that follows ``previous`` (``None`` starts a ledger).

    Parameters
    ----------
    previous : AuditRecord or None
        Last record of the ledger.
    ts_event : int
        Nanoseconds, UTC.
    kind : str
        What the payload is.
    payload : bytes
        The audited bytes.

    Returns
    -------
    AuditRecord
        With ``seq``, ``prev_hash`` and ``hash`` filled in.
    """
    seq = 0 if previous is None else previous.seq + 1
    prev_hash = GENESIS_HASH if previous is None else previous.hash
    digest = record_hash(
        schema_version=SCHEMA_VERSION,
        seq=seq,
        ts_event=ts_event,
        kind=kind,
        payload=payload,
        prev_hash=prev_hash,
    )
    return AuditRecord(
        seq=seq, ts_event=ts_event, kind=kind, payload=payload, prev_hash=prev_hash, hash=digest
    )


def find_chain_break(
    records: Iterable[AuditRecord], *, prev_hash: str = GENESIS_HASH, start_seq: int = 0
) -> ChainBreak | None:
    """First record at which the chain does not verify, or ``None`` when all of it does.

    Parameters
    ----------
    records : iterable of AuditRecord
        The ledger (or a contiguous tail of it), in order.
    prev_hash : str
        Hash the first record must point to (:data:`GENESIS_HASH` for a whole ledger).
    start_seq : int
        ``seq`` the first record must have.
    """
    expected_prev, expected_seq = prev_hash, start_seq
    for index, record in enumerate(records):
        if record.seq != expected_seq:
            return ChainBreak(index=index, seq=record.seq, reason=f"seq: expected {expected_seq}")
        if record.prev_hash != expected_prev:
            return ChainBreak(index=index, seq=record.seq, reason=f"prev_hash: expected {expected_prev}")
        digest = record_hash(
            schema_version=record.schema_version,
            seq=record.seq,
            ts_event=record.ts_event,
            kind=record.kind,
            payload=record.payload,
            prev_hash=record.prev_hash,
        )
        if record.hash != digest:
            return ChainBreak(index=index, seq=record.seq, reason=f"hash: expected {digest}")
        expected_prev, expected_seq = record.hash, record.seq + 1
    return None


def verify_chain(
    records: Iterable[AuditRecord], *, prev_hash: str = GENESIS_HASH, start_seq: int = 0
) -> bool:
    """Whether the whole sequence verifies; see :func:`find_chain_break` for where it does not."""
    return find_chain_break(records, prev_hash=prev_hash, start_seq=start_seq) is None


AuditEvent = AuditRecord
"""Value type of the ``audit`` topic."""
