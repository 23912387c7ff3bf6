"""Encode and decode topic messages: the one place the engine turns wire types into bytes and back.

Codecs are built once per topic and cached. Every failure to decode (bad JSON or MessagePack, wrong type,
unknown tag, missing field, value out of range, unknown ``schema_version``) raises
:class:`~schemas.errors.SchemaDecodeError` carrying the topic and the raw bytes, with msgspec's message
(which names the field path, e.g. ``at `$.penalties.vol_spike```) in its text; a consumer sends those to
``dlq.<topic>``. Asking for an unknown topic, or encoding an object that is not one of the topic's types,
raises :class:`~schemas.errors.SchemaUsageError`.

JSON is written with dictionary keys sorted (``order="deterministic"``) so equal messages are equal bytes.
On single-type topics (``md.bars``, ``orders``, ...) a missing ``type`` tag is accepted; a wrong one is not.
"""

from __future__ import annotations

import functools
import typing
from dataclasses import dataclass
from typing import Any

import msgspec

from schemas.common import SUPPORTED_SCHEMA_VERSIONS
from schemas.errors import SchemaDecodeError, SchemaUsageError
from schemas.topics import value_type


@dataclass(frozen=True, slots=True)
class _TopicCodec:
    members: tuple[type, ...]
    json_decoder: msgspec.json.Decoder
    msgpack_decoder: msgspec.msgpack.Decoder


def members_of(type_: Any) -> tuple[type, ...]:
    """The Struct classes of a value type (the type itself, or each member of a union)."""
    args = typing.get_args(type_)
    return tuple(args) if args else (type_,)


@functools.cache
def _codec(topic: str) -> _TopicCodec:
    type_ = value_type(topic)
    return _TopicCodec(
        members=members_of(type_),
        json_decoder=msgspec.json.Decoder(type_),
        msgpack_decoder=msgspec.msgpack.Decoder(type_),
    )


@functools.cache
def _json_encoder() -> msgspec.json.Encoder:
    return msgspec.json.Encoder(order="deterministic")


@functools.cache
def _msgpack_encoder() -> msgspec.msgpack.Encoder:
    return msgspec.msgpack.Encoder(order="deterministic")


def _checked(topic: str, obj: Any) -> Any:
    if not isinstance(obj, _codec(topic).members):
        names = ", ".join(m.__name__ for m in _codec(topic).members)
        raise SchemaUsageError(f"{topic}: cannot encode {type(obj).__name__}; expected {names}")
    return obj


def _raw_bytes(raw: Any) -> bytes:
    return raw.encode() if isinstance(raw, str) else bytes(raw)


def _decoded(topic: str, decoder: msgspec.json.Decoder | msgspec.msgpack.Decoder, raw: bytes) -> Any:
    try:
        obj = decoder.decode(raw)
    except msgspec.DecodeError as e:
        raise SchemaDecodeError(f"{topic}: {e}", topic=topic, raw=_raw_bytes(raw)) from e
    version = obj.schema_version
    if version not in SUPPORTED_SCHEMA_VERSIONS:
        known = ", ".join(str(v) for v in sorted(SUPPORTED_SCHEMA_VERSIONS))
        raise SchemaDecodeError(
            f"{topic}: unsupported schema_version {version} for {type(obj).__name__} "
            f"(this build decodes {known}) - at `$.schema_version`",
            topic=topic,
            raw=_raw_bytes(raw),
        )
    return obj


def encode(topic: str, obj: Any) -> bytes:
    """Encode a message of ``topic`` as JSON.

    Parameters
    ----------
    topic : str
        Topic name (``signals``, ``dlq.orders``, ...).
    obj : msgspec.Struct
        A value of the topic's type.

    Returns
    -------
    bytes
        Compact JSON with the ``type`` tag and dictionary keys sorted.

    Raises
    ------
    SchemaUsageError
        Unknown topic, or ``obj`` not one of its types.
    """
    return _json_encoder().encode(_checked(topic, obj))


def decode(topic: str, raw: bytes) -> Any:
    """Decode a JSON message of ``topic``.

    Parameters
    ----------
    topic : str
        Topic name.
    raw : bytes
        The message value.

    Returns
    -------
    msgspec.Struct
        An instance of one of the topic's types.

    Raises
    ------
    SchemaDecodeError
        Any malformed input; carries ``topic`` and ``raw``.
    SchemaUsageError
        Unknown topic.
    """
    return _decoded(topic, _codec(topic).json_decoder, raw)


def encode_msgpack(topic: str, obj: Any) -> bytes:
    """Like :func:`encode`, as MessagePack."""
    return _msgpack_encoder().encode(_checked(topic, obj))


def decode_msgpack(topic: str, raw: bytes) -> Any:
    """Like :func:`decode`, from MessagePack."""
    return _decoded(topic, _codec(topic).msgpack_decoder, raw)
