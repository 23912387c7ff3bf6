"""The immutable trade log: one :class:`TradeLogEntry` per line of JSON, in the seed's field order.

The seed (runbook, "Logging Requirements / Immutable Trade Log") fixes the first nine keys; the policy
epoch (``policy_version``, "each policy epoch stamps all trades") and optional trade fields follow, then
``schema_version`` last. Every key is always written (``omit_defaults=False``), so two runs over the same
data produce byte-identical logs. Timestamps are ISO-8601 UTC strings from :func:`iso_utc`, never the
wall clock.
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime, timedelta

import msgspec

from schemas.common import SCHEMA_VERSION, Mode, NavFraction, Side
from schemas.errors import SchemaDecodeError

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NS = 1_000_000_000
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z")


class TradeLogEntry(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=False):
    """One trade, as the seed's immutable trade log records it.

    Parameters
    ----------
    timestamp : str
        Entry time, ISO-8601 UTC (``"2025-10-05T10:00:00Z"``), from :func:`iso_utc`.
    mode : {"demo", "micro", "limited", "full"}
        Where the trade happened.
    symbol : str
        Instrument symbol (``TD.TO``).
    direction : {"BUY", "SELL"}
        Direction.
    size_pre, size_post_risk : float
        Size as a fraction of NAV before and after risk clamps.
    entry_price : float
        Average entry price.
    exit_price : float or None
        Average exit price; ``None`` (JSON ``null``) while open.
    reason_tags : tuple[str, ...]
        Why (``lstm_bullish``, ``news_positive``, ``vol_normal``, ...).
    policy_version : str
        Policy epoch that produced the trade.
    trade_id : str or None
        Stable id of the trade (e.g. the position id).
    exit_timestamp : str or None
        Exit time, ISO-8601 UTC.
    realized_pnl : float or None
        Realized P&L in the account currency, once closed.
    quantity : float or None
        Largest position quantity of the trade, venue units (``None`` in logs written before it existed).
    fees : float or None
        Commissions of every fill of the trade, in the instrument's quote currency.
    fill_count : int or None
        Number of fills (entry, exits, trims) of the trade.
    """

    timestamp: str
    mode: Mode
    symbol: str
    direction: Side
    size_pre: NavFraction
    size_post_risk: NavFraction
    entry_price: float
    exit_price: float | None = None
    reason_tags: tuple[str, ...]
    policy_version: str = ""
    trade_id: str | None = None
    exit_timestamp: str | None = None
    realized_pnl: float | None = None
    quantity: float | None = None
    fees: float | None = None
    fill_count: int | None = None
    schema_version: int = SCHEMA_VERSION


@functools.cache
def _encoder() -> msgspec.json.Encoder:
    return msgspec.json.Encoder()


@functools.cache
def _decoder() -> msgspec.json.Decoder:
    return msgspec.json.Decoder(TradeLogEntry)


def encode_trade_log_line(entry: TradeLogEntry) -> bytes:
    """One JSON line (with its trailing ``\\n``) for the trade log."""
    return _encoder().encode(entry) + b"\n"


def decode_trade_log_line(line: bytes) -> TradeLogEntry:
    """Parse one trade-log line; raises :class:`SchemaDecodeError` (with the field path) on a bad line."""
    try:
        return _decoder().decode(line)
    except msgspec.DecodeError as e:
        raise SchemaDecodeError(f"trade log: {e}", raw=bytes(line)) from e


def iso_utc(ts_ns: int) -> str:
    """ISO-8601 UTC text of a nanosecond timestamp, deterministic, with a ``Z`` suffix.

    Sub-second digits appear only when non-zero, as milli-, micro- or nanoseconds, whichever is the
    shortest exact form.

    Examples
    --------
    >>> iso_utc(1_759_658_400_000_000_000)
    '2025-10-05T10:00:00Z'
    >>> iso_utc(1_759_658_400_250_000_000)
    '2025-10-05T10:00:00.250Z'
    >>> iso_utc(1_759_658_400_000_000_001)
    '2025-10-05T10:00:00.000000001Z'
    """
    seconds, nanos = divmod(ts_ns, _NS)
    t = _EPOCH + timedelta(seconds=seconds)
    text = f"{t.year:04d}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:{t.second:02d}"
    if nanos == 0:
        fraction = ""
    elif nanos % 1_000_000 == 0:
        fraction = f".{nanos // 1_000_000:03d}"
    elif nanos % 1_000 == 0:
        fraction = f".{nanos // 1_000:06d}"
    else:
        fraction = f".{nanos:09d}"
    return f"{text}{fraction}Z"


def parse_iso_utc(text: str) -> int:
    """Nanoseconds since the epoch of an ISO-8601 UTC string of the form :func:`iso_utc` writes.

    Raises :class:`SchemaDecodeError` when the text is not ``YYYY-MM-DDTHH:MM:SS[.fraction]Z``.
    """
    match = _ISO.fullmatch(text)
    if match is None:
        raise SchemaDecodeError(f"not an ISO-8601 UTC timestamp: {text!r}", raw=text.encode())
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    try:
        delta = datetime(year, month, day, hour, minute, second, tzinfo=UTC) - _EPOCH
    except ValueError as e:
        raise SchemaDecodeError(f"not an ISO-8601 UTC timestamp: {text!r} ({e})", raw=text.encode()) from e
    fraction = match.group(7) or ""
    return (delta.days * 86_400 + delta.seconds) * _NS + int(fraction.ljust(9, "0") or 0)
