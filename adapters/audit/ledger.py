"""Append-only, hash-chained JSONL ledger (:class:`schemas.audit.AuditRecord` per line) and its verifier.

The ledger file is the source of truth. A writer opened on an existing ledger reads it, checks its chain
and continues from its last record, so a restart neither forks the chain nor repeats a record: payloads
already in the ledger (same kind and bytes, e.g. a message redelivered after a crash or a rebalance) are
not appended again. A final line torn by a crash (no newline, or not a record) was never acknowledged and
is cut off on open. After each flush the writer replaces ``<ledger>.head`` (atomic rename) with the last
sequence number and hash, so verification also catches records deleted from the end.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import msgspec

from adapters.audit.errors import LedgerError
from schemas.audit import AuditRecord, append_record, find_chain_break

_ENCODER = msgspec.json.Encoder(order="deterministic")
_DECODER = msgspec.json.Decoder(AuditRecord)


class LedgerHead(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Sequence number and hash of the last record the writer flushed."""

    seq: int
    hash: str


class VerifyResult(msgspec.Struct, frozen=True):
    """Outcome of :func:`verify_ledger`: record count, and the first bad sequence number with why."""

    records: int
    first_bad_seq: int | None = None
    reason: str = ""
    anchored: bool = False

    @property
    def ok(self) -> bool:
        """Whether the whole ledger verifies."""
        return self.first_bad_seq is None


def head_path(path: Path) -> Path:
    """``<ledger>.head``."""
    return path.with_name(path.name + ".head")


def read_ledger(path: Path) -> Iterator[AuditRecord]:
    """Records of a ledger file, in file order.

    Raises
    ------
    LedgerError
        Unreadable file, or a line that is not a record (its 1-based number in the message).
    """
    try:
        with path.open("rb") as f:
            for number, line in enumerate(f, start=1):
                if not line.strip():
                    continue
                try:
                    yield _DECODER.decode(line)
                except msgspec.DecodeError as e:
                    raise LedgerError(f"{path}:{number}: not an audit record: {e}") from e
    except OSError as e:
        raise LedgerError(f"cannot read ledger {path}: {e}") from e


def verify_ledger(path: Path) -> VerifyResult:
    """Check the chain of a ledger file and its head anchor.

    Any edited, inserted, deleted or reordered record makes the chain break at the first position whose
    record is not the one the chain expects; ``first_bad_seq`` is the sequence number that belongs there.
    Records deleted from the end are caught by ``<ledger>.head`` when it exists.
    """
    try:
        lines = [line for line in path.read_bytes().splitlines() if line.strip()]
    except OSError as e:
        raise LedgerError(f"cannot read ledger {path}: {e}") from e
    records = []
    for index, line in enumerate(lines):
        try:
            records.append(_DECODER.decode(line))
        except msgspec.DecodeError as e:
            if (broken := find_chain_break(records)) is not None:
                return VerifyResult(records=len(lines), first_bad_seq=broken.index, reason=broken.reason)
            return VerifyResult(records=len(lines), first_bad_seq=index, reason=f"line {index + 1}: {e}")
    broken = find_chain_break(records)
    if broken is not None:
        return VerifyResult(records=len(records), first_bad_seq=broken.index, reason=broken.reason)
    head_file = head_path(path)
    if not head_file.exists():
        return VerifyResult(records=len(records))
    try:
        head = msgspec.json.decode(head_file.read_bytes(), type=LedgerHead)
    except (OSError, msgspec.DecodeError) as e:
        return VerifyResult(records=len(records), first_bad_seq=len(records), reason=f"unreadable head: {e}")
    problem = _head_problem(records, head)
    if problem is not None:
        return VerifyResult(records=len(records), first_bad_seq=problem[0], reason=problem[1], anchored=True)
    return VerifyResult(records=len(records), anchored=True)


def _head_problem(records: list[AuditRecord], head: LedgerHead) -> tuple[int, str] | None:
    """Where a verified chain disagrees with its head anchor, or ``None``."""
    last_seq = records[-1].seq if records else -1
    if head.seq > last_seq:
        return last_seq + 1, f"records deleted from the end: head says the last is seq {head.seq}"
    if records[head.seq].hash != head.hash:
        return head.seq, f"hash of seq {head.seq} differs from the head anchor"
    if head.seq < last_seq:
        return head.seq + 1, f"records after the head anchor (seq {head.seq}): appended after the last flush"
    return None


def _digest(kind: str, payload: bytes) -> bytes:
    return hashlib.sha256(kind.encode() + b"\x00" + payload).digest()


class LedgerWriter:
    """Appends records to a ledger file, continuing whatever chain the file already holds.

    Parameters
    ----------
    path : Path
        The JSONL ledger (created with its directory when missing).
    fsync : bool
        fsync the file on each :meth:`flush` (the daemon); replay can skip it.
    deduplicate : bool
        Skip a payload already in the ledger (the worker, against redelivery); a replay writing its own
        fresh ledger turns it off, so two identical events both stay on record.

    Raises
    ------
    LedgerError
        The existing ledger does not verify (the writer refuses to extend a broken chain).
    """

    def __init__(self, path: Path, *, fsync: bool = True, deduplicate: bool = True) -> None:
        self.path = Path(path)
        self.fsync = fsync
        self.deduplicate = deduplicate
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._cut_torn_tail()
        self.last: AuditRecord | None = None
        self._seen: set[bytes] = set()
        records = list(read_ledger(self.path)) if self.path.exists() else []
        broken = find_chain_break(records)
        if broken is not None:
            raise LedgerError(
                f"{self.path}: chain breaks at seq {broken.index} ({broken.reason}); not appending"
            )
        for record in records:
            self._seen.add(_digest(record.kind, bytes(record.payload)))
        self.last = records[-1] if records else None
        head_file = head_path(self.path)
        if head_file.exists():
            try:
                head = msgspec.json.decode(head_file.read_bytes(), type=LedgerHead)
            except (OSError, msgspec.DecodeError) as e:
                raise LedgerError(f"{head_file}: unreadable head anchor: {e}") from e
            problem = _head_problem(records, head)
            # Records past the head were written but not anchored before a crash: the chain vouches for them.
            if problem is not None and not problem[1].startswith("records after the head"):
                raise LedgerError(f"{self.path}: {problem[1]}; not appending")
        self._file = self.path.open("ab")
        self.flush()

    def _cut_torn_tail(self) -> None:
        if not self.path.exists():
            return
        data = self.path.read_bytes()
        end = len(data)
        if data and not data.endswith(b"\n"):
            end = data.rfind(b"\n") + 1
        else:
            start = data.rfind(b"\n", 0, max(end - 1, 0)) + 1
            try:
                _DECODER.decode(data[start:end]) if data[start:end].strip() else None
            except msgspec.DecodeError:
                end = start
        if end != len(data):
            with self.path.open("r+b") as f:
                f.truncate(end)

    def append(self, *, ts_event: int, kind: str, payload: bytes) -> AuditRecord | None:
        """Append one record; ``None`` when the same kind and payload are already in the ledger."""
        digest = _digest(kind, payload)
        if self.deduplicate and digest in self._seen:
            return None
        record = append_record(self.last, ts_event=ts_event, kind=kind, payload=payload)
        self._file.write(_ENCODER.encode(record) + b"\n")
        self._seen.add(digest)
        self.last = record
        return record

    def flush(self) -> None:
        """Make appended records durable, then move the head anchor to the last one."""
        self._file.flush()
        if self.fsync:
            os.fsync(self._file.fileno())
        if self.last is None:
            return
        head = head_path(self.path)
        tmp = head.with_name(head.name + ".tmp")
        tmp.write_bytes(_ENCODER.encode(LedgerHead(seq=self.last.seq, hash=self.last.hash)))
        if self.fsync:
            with tmp.open("rb") as f:
                os.fsync(f.fileno())
        os.replace(tmp, head)

    def close(self) -> None:
        """Flush and close."""
        if not self._file.closed:
            self.flush()
            self._file.close()

    def __enter__(self) -> LedgerWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
