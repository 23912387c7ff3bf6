"""What the escalation processor needs from the outside: a reasoner and a call budget."""

from __future__ import annotations

from typing import Any, Protocol


class Reasoner(Protocol):
    """A chat model that answers with JSON following a schema.

    ``ask`` returns the answer's raw JSON bytes (not yet validated), or raises
    :class:`~engine.escalation.errors.ReasonerUnavailableError` or
    :class:`~engine.escalation.errors.ReasonerRefusedError`.
    """

    name: str

    def ask(self, messages: list[dict[str, str]], schema: dict[str, Any], schema_name: str) -> bytes: ...


class CallBudget(Protocol):
    """A per-UTC-day call counter shared by every worker (atomic across processes and restarts)."""

    limit: int

    def acquire(self, day: str) -> int | None:
        """Take one call of ``day`` (``YYYY-MM-DD``); the call's number (1..limit), or ``None`` when spent."""
        ...

    def used(self, day: str) -> int:
        """Calls taken on ``day``."""
        ...
