"""Deterministic client order ids, and the entry decision carried in the entry order's tags.

An id is derived from the strategy, the instrument, the decision's bar timestamp, the order's purpose and
a retry counter, so the same decision always yields the same id: a node restarted after ``kill -9`` finds
the id in its cache and never sends the order a second time. Ids stay short (at most 36 characters,
the limit several venues put on client ids) and use only ``[A-Za-z0-9-]``::

    E0-1677645000000-3fa2b1c9      entry, attempt 0, bar at 1677645000000 ms, digest of strategy+instrument

The entry decision (sizes before and after risk, reason tags, mode, route, ATR at entry) travels as a tag
of the entry order, so a restart rebuilds it from the cache instead of from memory.
"""

from __future__ import annotations

import hashlib
from typing import Literal

import msgspec
from nautilus_trader.model.identifiers import ClientOrderId

Purpose = Literal["entry", "stop", "take_profit", "trim", "flatten", "kill"]

PURPOSE_CODES: dict[str, str] = {
    "entry": "E",
    "stop": "S",
    "take_profit": "T",
    "trim": "R",
    "flatten": "F",
    "kill": "K",
}
ENTRY_TAG_PREFIX = "aureus-entry:"
_CODE_PURPOSE = {code: purpose for purpose, code in PURPOSE_CODES.items()}


def _digest(strategy_id: str, instrument: str) -> str:
    return hashlib.blake2b(f"{strategy_id}|{instrument}".encode(), digest_size=4).hexdigest()


def client_order_id(
    strategy_id: str, instrument: str, ts_ns: int, purpose: Purpose, attempt: int = 0
) -> ClientOrderId:
    """The deterministic client order id of one order.

    Parameters
    ----------
    strategy_id, instrument : str
        Who sends it and for what.
    ts_ns : int
        Engine-clock timestamp of the decision's bar (nanoseconds).
    purpose : {"entry", "stop", "take_profit", "trim", "flatten", "kill"}
        What the order is for.
    attempt : int
        Retry counter (a denied close is sent again with the next one).
    """
    stamp = ts_ns // 1_000_000 if ts_ns % 1_000_000 == 0 else ts_ns
    return ClientOrderId(f"{PURPOSE_CODES[purpose]}{attempt}-{stamp}-{_digest(strategy_id, instrument)}")


def purpose_of(client_order_id: ClientOrderId | str) -> str | None:
    """The purpose of an id made by :func:`client_order_id`; ``None`` for any other id."""
    value = client_order_id.value if isinstance(client_order_id, ClientOrderId) else client_order_id
    return _CODE_PURPOSE.get(value[:1]) if value[1:2].isdigit() and value.count("-") == 2 else None


def attempt_of(client_order_id: ClientOrderId | str) -> int:
    """The retry counter of an id made by :func:`client_order_id`."""
    value = client_order_id.value if isinstance(client_order_id, ClientOrderId) else client_order_id
    return int(value[1 : value.index("-")])


def decision_ts_of(client_order_id: ClientOrderId | str) -> int:
    """The decision's bar timestamp (ns) of an id made by :func:`client_order_id`."""
    value = client_order_id.value if isinstance(client_order_id, ClientOrderId) else client_order_id
    stamp = int(value.split("-")[1])
    return stamp * 1_000_000 if stamp < 10**15 else stamp  # milliseconds unless it had sub-ms digits


class EntryRecord(msgspec.Struct, frozen=True, kw_only=True, array_like=True):
    """The decision that opened a position, as carried by its entry order's tag."""

    size_pre: float
    size_post: float
    reason_tags: tuple[str, ...]
    mode: str
    route: str
    atr: float


_ENCODER = msgspec.json.Encoder()
_DECODER = msgspec.json.Decoder(EntryRecord)


def entry_tag(record: EntryRecord) -> str:
    """The order tag that carries ``record``."""
    return ENTRY_TAG_PREFIX + _ENCODER.encode(record).decode()


def entry_from_tags(tags) -> EntryRecord | None:
    """The entry record in an order's tags, ``None`` when there is none or it does not decode."""
    for tag in tags or ():
        if tag.startswith(ENTRY_TAG_PREFIX):
            try:
                return _DECODER.decode(tag[len(ENTRY_TAG_PREFIX) :])
            except msgspec.DecodeError:
                return None
    return None
