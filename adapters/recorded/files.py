"""Recorded-stream files: write and read a recording directory (see :mod:`schemas.recording`).

Format
------
* one file per topic, ``<topic>.jsonl.gz``: gzip (``mtime=0``, no file name in the header, level 6) of
  msgspec-JSON lines, one :class:`~schemas.recording.Record` per line, ``\\n``-terminated, sorted stably
  by ``(ts_event, topic, key)``;
* ``manifest.json``: the :class:`~schemas.recording.Manifest`, msgspec JSON indented by 2, topics in
  sorted name order; ``TopicFile.sha256`` is the sha256 of the *file bytes* (compressed) and
  ``content_hash`` is the sha256 of the lines ``"<topic> <sha256>\\n"`` in topic order, the instrument specs
  and the time range (see :func:`content_hash`);
* ``start_ns`` / ``end_ns`` are the smallest and largest ``ts_event`` over all records.

Same records and metadata give byte-identical files. Files are written to a temporary name and renamed,
the manifest last, so a reader never sees a half-written recording.
"""

from __future__ import annotations

import gzip
import hashlib
import heapq
import os
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import TracebackType

import msgspec

from adapters.errors import RecordingError, RecordingIntegrityError
from schemas.market import Bar, NewsRaw, NewsScored, Quote, Trade
from schemas.recording import SCHEMA_VERSION, InstrumentSpec, Manifest, Payload, Record, TopicFile

MANIFEST_FILE = "manifest.json"
REJECTS_FILE = "rejects.jsonl"
TOPIC_SUFFIX = ".jsonl.gz"

TOPIC_BARS = "md.bars"
TOPIC_QUOTES = "md.quotes"
TOPIC_TRADES = "md.trades"
TOPIC_NEWS_RAW = "news.raw"
TOPIC_NEWS_SCORED = "news.scored"

_GZIP_LEVEL = 6
_CHUNK = 1 << 20

# Built once (DESIGN.md convention 4).
_ENCODER = msgspec.json.Encoder()
_RECORD_DECODER = msgspec.json.Decoder(Record)
_MANIFEST_DECODER = msgspec.json.Decoder(Manifest)


def topic_file_name(topic: str) -> str:
    """Return the file name that holds ``topic`` inside a recording directory."""
    return f"{topic}{TOPIC_SUFFIX}"


def to_record(payload: Payload) -> Record:
    """Wrap a payload into the :class:`Record` it is recorded (and published) as.

    Parameters
    ----------
    payload
        A bar, quote, trade, raw news or scored news event.

    Returns
    -------
    Record
        Topic and key per DESIGN.md: ``md.bars`` / ``md.quotes`` / ``md.trades`` keyed by instrument,
        ``news.raw`` keyed by source, ``news.scored`` keyed by instrument.
    """
    match payload:
        case Bar():
            topic, key = TOPIC_BARS, payload.instrument
        case Quote():
            topic, key = TOPIC_QUOTES, payload.instrument
        case Trade():
            topic, key = TOPIC_TRADES, payload.instrument
        case NewsRaw():
            topic, key = TOPIC_NEWS_RAW, payload.source
        case NewsScored():
            topic, key = TOPIC_NEWS_SCORED, payload.instrument
        case _:
            raise RecordingError(f"cannot record a {type(payload).__name__}")
    return Record(topic=topic, key=key, ts_event=payload.ts_event, payload=payload)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def content_hash(
    topics: Iterable[TopicFile],
    instruments: Iterable[InstrumentSpec] = (),
    start_ns: int = 0,
    end_ns: int = 0,
) -> str:
    """Return the recording's content hash.

    sha256 over ``"<topic> <sha256>\\n"`` in topic order, then one ``"instrument <spec JSON>\\n"`` line per
    instrument spec in id order and ``"range <start_ns> <end_ns>\\n"``: an edit to a spec (a bucket, a
    precision) or to the time range changes the hash, so ``verify`` catches it.
    """
    digest = hashlib.sha256()
    for topic_file in sorted(topics, key=lambda t: t.topic):
        digest.update(f"{topic_file.topic} {topic_file.sha256}\n".encode())
    for spec in sorted(instruments, key=lambda s: s.instrument_id):
        digest.update(b"instrument " + _ENCODER.encode(spec) + b"\n")
    digest.update(f"range {start_ns} {end_ns}\n".encode())
    return digest.hexdigest()


class RecordingWriter:
    """Collect records in memory and write them as a recording directory on :meth:`close`.

    Parameters
    ----------
    out_dir
        Directory to write; created if missing.
    source
        Where the data comes from (``"import:binance-klines"``, ``"synthetic:seed=7"``...).
    synthetic
        Whether the data is generated.
    instruments
        Specs of the instruments the records refer to.
    notes
        Free text stored in the manifest.
    overwrite
        Replace an existing recording in ``out_dir`` (its manifest, topic files and rejects file).
        Without it an existing ``manifest.json`` raises :class:`RecordingError`.

    Examples
    --------
    >>> with RecordingWriter(out, source="x", synthetic=False, instruments=specs) as writer:
    ...     writer.extend(bars)
    >>> writer.manifest.content_hash
    """

    def __init__(
        self,
        out_dir: Path | str,
        *,
        source: str,
        synthetic: bool,
        instruments: Iterable[InstrumentSpec],
        notes: str = "",
        overwrite: bool = False,
    ) -> None:
        self.out_dir = Path(out_dir)
        self.source = source
        self.synthetic = synthetic
        self.instruments = tuple(instruments)
        self.notes = notes
        self.overwrite = overwrite
        self.rejects = 0
        self.manifest: Manifest | None = None
        self._records: list[Record] = []

    def add(self, payload: Payload) -> None:
        """Add one payload; its topic and key come from :func:`to_record`."""
        self._records.append(to_record(payload))

    def add_record(self, record: Record) -> None:
        """Add one already-wrapped record."""
        self._records.append(record)

    def extend(self, payloads: Iterable[Payload]) -> None:
        """Add many payloads."""
        self._records.extend(to_record(p) for p in payloads)

    def write_streams(self, streams: Iterable[Iterable[Payload]]) -> Manifest:
        """Write payload streams, each already in time order, without holding them all in memory.

        The streams are merged by ``(ts_event, topic, key)`` (ties keep stream order, then order within a
        stream), which is the order :meth:`close` sorts into, so the files are byte-identical to adding
        the same payloads and closing. Nothing may have been added before.

        Returns
        -------
        Manifest
            The manifest written.
        """
        if self._records or self.manifest is not None:
            raise RecordingError("write_streams needs an empty writer", path=self.out_dir)
        self._prepare_dir()
        merged = heapq.merge(
            *((to_record(p) for p in s) for s in streams), key=lambda r: (r.ts_event, r.topic, r.key)
        )
        writers: dict[str, _TopicStream] = {}
        start_ns = end_ns = None
        try:
            for record in merged:
                stream = writers.get(record.topic)
                if stream is None:
                    stream = writers[record.topic] = _TopicStream(self.out_dir, record.topic)
                stream.write(record)
                start_ns = record.ts_event if start_ns is None else start_ns
                end_ns = record.ts_event
            topic_files = tuple(writers[t].close() for t in sorted(writers))
        except OSError as e:
            raise RecordingError(f"cannot write topic file: {e}", path=self.out_dir) from e
        finally:
            for stream in writers.values():
                stream.abort()
        return self._write_manifest(topic_files, start_ns or 0, end_ns or 0)

    def __enter__(self) -> RecordingWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None:
            self.close()

    def close(self) -> Manifest:
        """Sort, write the topic files and the manifest; return the manifest.

        Returns
        -------
        Manifest
            The manifest written to ``out_dir / "manifest.json"``.
        """
        if self.manifest is not None:
            return self.manifest
        self._prepare_dir()
        self._records.sort(key=lambda r: (r.ts_event, r.topic, r.key))
        by_topic: dict[str, list[Record]] = {}
        for record in self._records:
            by_topic.setdefault(record.topic, []).append(record)
        topic_files = tuple(self._write_topic(t, by_topic[t]) for t in sorted(by_topic))
        start_ns = self._records[0].ts_event if self._records else 0
        end_ns = self._records[-1].ts_event if self._records else 0
        self._records = []
        return self._write_manifest(topic_files, start_ns, end_ns)

    def _write_manifest(self, topic_files: tuple[TopicFile, ...], start_ns: int, end_ns: int) -> Manifest:
        manifest = Manifest(
            source=self.source,
            synthetic=self.synthetic,
            instruments=self.instruments,
            start_ns=start_ns,
            end_ns=end_ns,
            topics=topic_files,
            content_hash=content_hash(topic_files, self.instruments, start_ns, end_ns),
            rejects=self.rejects,
            notes=self.notes,
        )
        body = msgspec.json.format(_ENCODER.encode(manifest), indent=2) + b"\n"
        _atomic_write(self.out_dir / MANIFEST_FILE, body)
        self.manifest = manifest
        return manifest

    def _prepare_dir(self) -> None:
        try:
            self.out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise RecordingError(f"cannot create recording directory: {e}", path=self.out_dir) from e
        manifest_path = self.out_dir / MANIFEST_FILE
        if not manifest_path.exists():
            return
        if not self.overwrite:
            raise RecordingError(
                "a recording already exists here (pass overwrite=True / --force to replace it)",
                path=self.out_dir,
            )
        old = [p for p in self.out_dir.iterdir() if p.name.endswith(TOPIC_SUFFIX)]
        for path in [*old, manifest_path]:
            path.unlink()

    def _write_topic(self, topic: str, records: list[Record]) -> TopicFile:
        name = topic_file_name(topic)
        final = self.out_dir / name
        tmp = final.with_name(name + ".tmp")
        try:
            with (
                tmp.open("wb") as raw,
                gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=_GZIP_LEVEL, mtime=0) as gz,
            ):
                buffer = bytearray()
                for record in records:
                    _ENCODER.encode_into(record, buffer, -1)
                    buffer.extend(b"\n")
                    if len(buffer) >= _CHUNK:
                        gz.write(buffer)
                        buffer.clear()
                gz.write(buffer)
            os.replace(tmp, final)
        except OSError as e:
            raise RecordingError(f"cannot write topic file: {e}", path=final) from e
        return TopicFile(topic=topic, file=name, records=len(records), sha256=_sha256_file(final))


class _TopicStream:
    """One topic file written record by record (gzip to a temporary name, renamed on :meth:`close`)."""

    def __init__(self, out_dir: Path, topic: str) -> None:
        self.topic = topic
        self.name = topic_file_name(topic)
        self.final = out_dir / self.name
        self.tmp = self.final.with_name(self.name + ".tmp")
        self._raw = self.tmp.open("wb")
        self._gz = gzip.GzipFile(
            filename="", mode="wb", fileobj=self._raw, compresslevel=_GZIP_LEVEL, mtime=0
        )
        self._buffer = bytearray()
        self.records = 0

    def write(self, record: Record) -> None:
        _ENCODER.encode_into(record, self._buffer, -1)
        self._buffer.extend(b"\n")
        self.records += 1
        if len(self._buffer) >= _CHUNK:
            self._gz.write(self._buffer)
            self._buffer.clear()

    def close(self) -> TopicFile:
        self._gz.write(self._buffer)
        self._gz.close()
        self._raw.close()
        os.replace(self.tmp, self.final)
        return TopicFile(
            topic=self.topic, file=self.name, records=self.records, sha256=_sha256_file(self.final)
        )

    def abort(self) -> None:
        if not self._raw.closed:
            self._gz.close()
            self._raw.close()
        self.tmp.unlink(missing_ok=True)


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError as e:
        raise RecordingError(f"cannot write file: {e}", path=path) from e


def write_recording(
    out_dir: Path | str,
    records: Iterable[Record | Payload],
    *,
    source: str,
    synthetic: bool,
    instruments: Iterable[InstrumentSpec],
    rejects: int = 0,
    notes: str = "",
    overwrite: bool = False,
) -> Manifest:
    """Write ``records`` (records or bare payloads) as a recording directory.

    Parameters
    ----------
    out_dir, source, synthetic, instruments, notes, overwrite
        As for :class:`RecordingWriter`.
    records
        Records, or payloads wrapped with :func:`to_record`.
    rejects
        Number of input rows an importer refused (stored in the manifest).

    Returns
    -------
    Manifest
        The manifest written.
    """
    writer = RecordingWriter(
        out_dir, source=source, synthetic=synthetic, instruments=instruments, notes=notes, overwrite=overwrite
    )
    writer.rejects = rejects
    for item in records:
        if isinstance(item, Record):
            writer.add_record(item)
        else:
            writer.add(item)
    return writer.close()


class Recording:
    """A recording directory opened for reading; build it with :func:`open_recording`.

    Attributes
    ----------
    path
        The recording directory.
    manifest
        Its decoded manifest.
    """

    def __init__(self, path: Path, manifest: Manifest) -> None:
        self.path = path
        self.manifest = manifest
        self._files = {t.topic: t for t in manifest.topics}

    @property
    def topics(self) -> tuple[str, ...]:
        """Names of the topics recorded, in topic order."""
        return tuple(t.topic for t in self.manifest.topics)

    def iter_topic(self, topic: str) -> Iterator[Record]:
        """Yield the records of one topic in file order (``ts_event``, then key).

        Raises
        ------
        RecordingError
            The topic is not in the manifest, or its file is missing or has a corrupt line
            (the message names the file and the 1-based line number).
        """
        topic_file = self._files.get(topic)
        if topic_file is None:
            raise RecordingError(
                f"topic {topic!r} not in recording (has {list(self._files)})", path=self.path
            )
        path = self.path / topic_file.file
        line_no = 0
        try:
            with gzip.open(path, "rb") as handle:
                for line_no, line in enumerate(handle, start=1):  # noqa: B007
                    yield _RECORD_DECODER.decode(line)
        except FileNotFoundError as e:
            raise RecordingError("topic file missing", path=path) from e
        except msgspec.DecodeError as e:
            raise RecordingError(f"corrupt record: {e}", path=path, line=line_no) from e
        except (OSError, EOFError, zlib.error) as e:
            raise RecordingError(
                f"unreadable gzip data near this line: {e}", path=path, line=line_no + 1
            ) from e

    def iter_all(self) -> Iterator[Record]:
        """Yield every record of every topic merged by ``ts_event`` (stable: ties keep topic order)."""
        streams = [self.iter_topic(t) for t in self.topics]
        return heapq.merge(*streams, key=lambda r: r.ts_event)

    def verify(self) -> Manifest:
        """Recompute file hashes, record counts and the content hash against the manifest.

        Returns
        -------
        Manifest
            The manifest, when everything matches.

        Raises
        ------
        RecordingIntegrityError
            Naming the first file whose sha256 or record count differs, or the content hash.
        RecordingError
            A topic file is missing or unreadable.
        """
        for topic_file in self.manifest.topics:
            path = self.path / topic_file.file
            if not path.is_file():
                raise RecordingIntegrityError("topic file missing", path=path)
            actual = _sha256_file(path)
            if actual != topic_file.sha256:
                raise RecordingIntegrityError(
                    f"sha256 mismatch: manifest {topic_file.sha256}, file {actual}", path=path
                )
            count = _count_lines(path)
            if count != topic_file.records:
                raise RecordingIntegrityError(
                    f"record count mismatch: manifest {topic_file.records}, file {count}", path=path
                )
        m = self.manifest
        expected = content_hash(m.topics, m.instruments, m.start_ns, m.end_ns)
        if expected != self.manifest.content_hash:
            raise RecordingIntegrityError(
                f"content_hash mismatch: manifest {self.manifest.content_hash}, computed {expected}",
                path=self.path / MANIFEST_FILE,
            )
        return self.manifest


def _count_lines(path: Path) -> int:
    """Records in a topic file, counted without decoding them (the reader decodes each line once, later)."""
    try:
        with gzip.open(path, "rb") as handle:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
    except (OSError, EOFError, zlib.error) as e:
        raise RecordingError(f"unreadable gzip data: {e}", path=path) from e


def open_recording(path: Path | str) -> Recording:
    """Open a recording directory.

    Parameters
    ----------
    path
        The directory holding ``manifest.json`` and the topic files.

    Returns
    -------
    Recording
        Reader over the directory.

    Raises
    ------
    RecordingError
        The directory or its manifest is missing, or the manifest does not decode.
    """
    directory = Path(path)
    if not directory.is_dir():
        raise RecordingError("recording directory not found", path=directory)
    manifest_path = directory / MANIFEST_FILE
    try:
        raw = manifest_path.read_bytes()
    except FileNotFoundError as e:
        raise RecordingError("manifest.json missing: not a recording", path=manifest_path) from e
    except OSError as e:
        raise RecordingError(f"cannot read manifest: {e}", path=manifest_path) from e
    try:
        manifest = _MANIFEST_DECODER.decode(raw)
    except msgspec.DecodeError as e:
        raise RecordingError(f"invalid manifest: {e}", path=manifest_path) from e
    if manifest.schema_version != SCHEMA_VERSION:
        raise RecordingError(
            f"manifest schema_version {manifest.schema_version}, this build reads {SCHEMA_VERSION} (its "
            "content hash covers the instrument specs and time range): import or synthesize it again",
            path=manifest_path,
        )
    return Recording(directory, manifest)
