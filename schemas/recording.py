"""Recorded-stream files: one record per line, one file per topic, plus a manifest.

A recording directory looks like::

    REC/
      manifest.json          # Manifest
      md.bars.jsonl.gz       # one Record per line, msgspec JSON, gzip
      news.scored.jsonl.gz
      rejects.jsonl          # rows an importer refused, with line numbers and reasons (may be absent)
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from schemas.market import Bar, NewsRaw, NewsScored, Quote, Trade

SCHEMA_VERSION = 2  # 2: the content hash also covers the instrument specs and the time range

Payload = Bar | Quote | Trade | NewsRaw | NewsScored


class Record(msgspec.Struct, frozen=True, kw_only=True):
    """One recorded message: the topic it was (or would be) published on, its key and typed payload."""

    topic: str
    key: str
    ts_event: int
    payload: Payload


class InstrumentSpec(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """What the engine needs to build a Nautilus instrument for a recorded symbol.

    ``instrument_id`` is ``SYMBOL.VENUE`` (e.g. ``BTCUSDT.BINANCE``). ``kind`` is one of
    ``crypto_spot``, ``equity``, ``fx``, ``future``. ``bucket`` is the risk bucket: ``core``, ``penny``
    or ``fno``. ``gap_p99_s`` is the 99th percentile of the spacing between the imported bars in seconds
    (0: unknown); a market with sparse minutes or sessions has one well above ``bar_interval_s``, and the
    data-stall timeout follows it.
    """

    instrument_id: str
    kind: str
    base_currency: str
    quote_currency: str
    price_precision: Annotated[int, msgspec.Meta(ge=0, le=9)]
    size_precision: Annotated[int, msgspec.Meta(ge=0, le=9)]
    bucket: str = "core"
    sector: str = ""
    bar_interval_s: int = 60
    gap_p99_s: int = 0


class TopicFile(msgspec.Struct, frozen=True, kw_only=True):
    topic: str
    file: str
    records: int
    sha256: str


class Manifest(msgspec.Struct, frozen=True, kw_only=True):
    """Describes a recording: instruments, time range, source and a content hash over its topic files."""

    schema_version: int = SCHEMA_VERSION
    source: str
    synthetic: bool
    instruments: tuple[InstrumentSpec, ...]
    start_ns: int
    end_ns: int
    topics: tuple[TopicFile, ...]
    content_hash: str
    rejects: int = 0
    notes: str = ""
