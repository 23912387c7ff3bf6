"""The one way the strategy reports what it did: an event sink that receives ``schemas/`` types.

Replay's sink collects them for the report and files; the daemon's sink (a Nautilus Actor in
``adapters/kafka``) publishes them to Kafka. Channels are topic names from :mod:`schemas.topics`
(``signals``, ``orders``, ``fills``, ``risk``, ``alerts``, ``escalations``) plus two that are not topics:
``trades`` (closed trade-log entries) and ``equity`` (one portfolio row per timestamp).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

TRADES = "trades"
"""Channel of :class:`schemas.tradelog.TradeLogEntry` (not a Kafka topic)."""

EQUITY = "equity"
"""Channel of the per-timestamp equity row (not a Kafka topic)."""


class EventSink(Protocol):
    """Receives every output of the strategy, in engine-clock order."""

    def emit(self, channel: str, message: Any) -> None:
        """Take one output; ``channel`` is a topic name or :data:`TRADES` / :data:`EQUITY`."""
        ...


def direct_emitter(sink: EventSink, channel: str, method: str) -> Callable[[Any], None]:
    """What to call with each message of a per-step ``channel``: the sink's own ``method(message)`` where
    it has one (a sink that acts on every such message, such as the escalation sink, skips the channel
    dispatch), else ``emit(channel, message)``. Either way the sink sees the same messages in the same
    order."""
    direct = getattr(sink, method, None)
    if direct is not None:
        return direct
    emit = sink.emit

    def emit_one(message: Any) -> None:
        emit(channel, message)

    return emit_one


def equity_emitter(sink: EventSink) -> Callable[[Any], None]:
    """:func:`direct_emitter` of the equity rows (``emit_equity``)."""
    return direct_emitter(sink, EQUITY, "emit_equity")


class CollectingSink:
    """A sink that keeps every output in memory, by channel, in the order it was emitted.

    Replay builds its report and files from it; tests read it directly. Nothing is dropped or copied.
    """

    def __init__(self) -> None:
        self.channels: dict[str, list[Any]] = {}

    def emit(self, channel: str, message: Any) -> None:
        """Append ``message`` to ``channel``'s list."""
        messages = self.channels.get(channel)  # not setdefault: it builds a new list on every call
        if messages is None:
            messages = self.channels[channel] = []
        messages.append(message)

    def get(self, channel: str) -> list[Any]:
        """Everything emitted on ``channel`` so far (an empty list for a channel never used)."""
        return self.channels.get(channel, [])
