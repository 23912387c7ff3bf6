"""``dlq.<topic>`` topics: messages that did not decode, with their raw bytes and error.

A consumer never crashes on, and never silently drops, a bad message: it publishes a :class:`DeadLetter`
on ``dlq.<topic>`` under the original key and moves on.
"""

from __future__ import annotations

import msgspec

from schemas.common import SCHEMA_VERSION, TimestampNs
from schemas.errors import SchemaDecodeError, SchemaUsageError


class DeadLetter(msgspec.Struct, tag="dead_letter", frozen=True, kw_only=True):
    """A message a consumer could not decode.

    Parameters
    ----------
    topic : str
        Topic the message was read from.
    key : str
        Original key (UTF-8, undecodable bytes backslash-escaped).
    raw : bytes
        The message value exactly as received (base64 in JSON).
    error : str
        Why it failed, with the field path when there is one.
    ts_event : int
        Nanoseconds, UTC, when it was dead-lettered.
    partition, offset : int or None
        Where it was read, when known.
    consumer : str
        Consumer (group or worker name) that rejected it.
    """

    schema_version: int = SCHEMA_VERSION
    topic: str
    key: str
    raw: bytes
    error: str
    ts_event: TimestampNs
    partition: int | None = None
    offset: int | None = None
    consumer: str = ""


def dead_letter_from(
    error: SchemaDecodeError,
    *,
    key: str | bytes | None,
    ts_event: int,
    topic: str | None = None,
    partition: int | None = None,
    offset: int | None = None,
    consumer: str = "",
) -> DeadLetter:
    """Build the dead letter for a decode failure.

    Parameters
    ----------
    error : SchemaDecodeError
        The failure; its ``topic`` and ``raw`` are used.
    key : str, bytes or None
        The original message key.
    ts_event : int
        Nanoseconds, UTC.
    topic : str, optional
        Overrides ``error.topic`` (required when the error carries none).
    partition, offset : int, optional
        Where the message was read.
    consumer : str
        Name of the rejecting consumer.
    """
    source = topic if topic is not None else error.topic
    if source is None:
        raise SchemaUsageError("dead_letter_from needs a topic: the error carries none")
    if isinstance(key, bytes):
        key = key.decode("utf-8", errors="backslashreplace")
    return DeadLetter(
        topic=source,
        key=key or "",
        raw=error.raw,
        error=str(error),
        ts_event=ts_event,
        partition=partition,
        offset=offset,
        consumer=consumer,
    )
