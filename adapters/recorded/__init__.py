"""Recorded streams: one gzip msgspec-JSON-Lines file per topic plus a manifest (see :mod:`.files`)."""

from adapters.recorded.files import (
    MANIFEST_FILE,
    REJECTS_FILE,
    TOPIC_BARS,
    TOPIC_NEWS_RAW,
    TOPIC_NEWS_SCORED,
    TOPIC_QUOTES,
    TOPIC_TRADES,
    Recording,
    RecordingWriter,
    content_hash,
    open_recording,
    to_record,
    topic_file_name,
    write_recording,
)

__all__ = [
    "MANIFEST_FILE",
    "REJECTS_FILE",
    "TOPIC_BARS",
    "TOPIC_NEWS_RAW",
    "TOPIC_NEWS_SCORED",
    "TOPIC_QUOTES",
    "TOPIC_TRADES",
    "Recording",
    "RecordingWriter",
    "content_hash",
    "open_recording",
    "to_record",
    "topic_file_name",
    "write_recording",
]
