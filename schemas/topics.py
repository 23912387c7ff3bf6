"""Topic names, the value type of each topic, and the key each message is published under.

The table mirrors DESIGN.md ("Topics"). Values are msgspec types (a tagged Struct or a union of them)
that :mod:`schemas.codec` builds its decoders from.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from schemas.alerts import AlertEvent
from schemas.audit import AuditEvent
from schemas.control import Control
from schemas.dlq import DeadLetter
from schemas.errors import SchemaUsageError
from schemas.escalation import Escalation
from schemas.market import Bar, NewsRaw, NewsScored, Quote, Trade
from schemas.options import PutCallOpenInterest
from schemas.orders import FillEvent, OrderEvent
from schemas.risk import RiskEvent
from schemas.signals import Signal

MD_BARS = "md.bars"
MD_QUOTES = "md.quotes"
MD_TRADES = "md.trades"
MD_OPTIONS_OI = "md.options_oi"
NEWS_RAW = "news.raw"
NEWS_SCORED = "news.scored"
SIGNALS = "signals"
ORDERS = "orders"
FILLS = "fills"
RISK = "risk"
ESCALATIONS = "escalations"
CONTROL = "control"
ALERTS = "alerts"
AUDIT = "audit"

DLQ_PREFIX = "dlq."
"""Prefix of the dead-letter topic of every topic."""

CONTROL_KEY = "policy"
"""Key of every ``control`` message."""

AUDIT_KEY = "ledger"
"""Key of every ``audit`` message."""

TOPIC_TYPES: MappingProxyType[str, Any] = MappingProxyType(
    {
        MD_BARS: Bar,
        MD_QUOTES: Quote,
        MD_TRADES: Trade,
        MD_OPTIONS_OI: PutCallOpenInterest,
        NEWS_RAW: NewsRaw,
        NEWS_SCORED: NewsScored,
        SIGNALS: Signal,
        ORDERS: OrderEvent,
        FILLS: FillEvent,
        RISK: RiskEvent,
        ESCALATIONS: Escalation,
        CONTROL: Control,
        ALERTS: AlertEvent,
        AUDIT: AuditEvent,
    }
)
"""Topic name to its value type (a Struct or a union of tagged Structs). Read-only."""


def is_dlq_topic(topic: str) -> bool:
    """Whether ``topic`` is a dead-letter topic (``dlq.<known topic>``)."""
    return topic.startswith(DLQ_PREFIX) and topic[len(DLQ_PREFIX) :] in TOPIC_TYPES


def dlq_topic(topic: str) -> str:
    """Dead-letter topic of a topic: ``dlq.<topic>``.

    Raises :class:`SchemaUsageError` for an unknown topic (including a dead-letter topic itself).
    """
    if topic not in TOPIC_TYPES:
        raise SchemaUsageError(f"unknown topic {topic!r}; known: {sorted(TOPIC_TYPES)}")
    return DLQ_PREFIX + topic


def value_type(topic: str) -> Any:
    """Value type of a topic, :class:`~schemas.dlq.DeadLetter` for ``dlq.<topic>``.

    Raises :class:`SchemaUsageError` for an unknown topic.
    """
    if is_dlq_topic(topic):
        return DeadLetter
    try:
        return TOPIC_TYPES[topic]
    except KeyError:
        raise SchemaUsageError(f"unknown topic {topic!r}; known: {sorted(TOPIC_TYPES)}") from None


def message_key(topic: str, message: Any) -> str:
    """The key DESIGN.md prescribes for ``message`` on ``topic``.

    ``md.*``, ``news.scored``, ``signals``, ``orders``, ``fills``, ``risk``: the instrument (``"*"`` for
    portfolio-wide risk events); ``news.raw``: the source; ``escalations``: the call type; ``control``:
    ``"policy"``; ``alerts``: the severity; ``audit``: ``"ledger"``; ``dlq.<topic>``: the original key.
    """
    value_type(topic)
    if is_dlq_topic(topic):
        return message.key
    if topic == NEWS_RAW:
        return message.source
    if topic == ESCALATIONS:
        return message.call_type
    if topic == CONTROL:
        return CONTROL_KEY
    if topic == ALERTS:
        return message.severity
    if topic == AUDIT:
        return AUDIT_KEY
    return message.instrument
