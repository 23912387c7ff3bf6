"""The escalation service: the processor assembled with its reasoners, budget and the policy in force.

``aureus escalate`` and the faust worker (``aureus worker escalation``) both run requests through
:meth:`EscalationService.handle`, so a request gets the same treatment with or without Kafka.
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

import msgspec

from engine.config import AureusConfig
from engine.escalation.errors import EscalationError
from engine.escalation.ports import CallBudget, Reasoner
from engine.escalation.processor import EscalationOutcome, EscalationProcessor
from engine.policy.apply import version_id
from engine.policy.bounds import PolicyLimits
from engine.policy.versions import PolicyStore
from engine.state import StateStore
from schemas.escalation import EscalationBody, EscalationRequest

_BODY = msgspec.json.Decoder(EscalationBody)


class EscalationService:
    """Runs escalation requests against the policy in force.

    Parameters
    ----------
    config : AureusConfig
        Escalation, risk and policy configuration.
    store : StateStore
        Where the node keeps its policy versions (read only here).
    gpt5, local : Reasoner
        The two reasoners.
    budget : CallBudget
        The shared GPT-5 budget.
    known_instruments : frozenset[str], optional
        Symbols a ``do_not_trade_list`` may name; ``None`` leaves that check to the node.
    """

    def __init__(
        self,
        config: AureusConfig,
        *,
        store: StateStore,
        gpt5: Reasoner,
        local: Reasoner,
        budget: CallBudget,
        known_instruments: frozenset[str] | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.policies = PolicyStore(store, config.policy)
        self.limits = PolicyLimits.from_config(config.risk, config.escalation, known_instruments)
        self.budget = budget
        self.processor = EscalationProcessor(
            config.escalation, self.limits, gpt5=gpt5, local=local, budget=budget
        )

    def handle(self, request: EscalationRequest, *, now_ns: int | None = None) -> EscalationOutcome:
        """Process one request; ``now_ns`` (default: the wall clock) picks the budget's UTC day."""
        return self.processor.process(
            request, self.policies.current(), now_ns=time.time_ns() if now_ns is None else now_ns
        )


def build_service(
    config: AureusConfig, *, state: Path | None = None, known_instruments: frozenset[str] | None = None
) -> EscalationService:
    """The service with the configured endpoints, the Redis budget and the configured state store."""
    from adapters.llm import build_budget, build_reasoners
    from adapters.state import open_store

    gpt5, local = build_reasoners(config)
    return EscalationService(
        config,
        store=open_store(config.store, path=state),
        gpt5=gpt5,
        local=local,
        budget=build_budget(config),
        known_instruments=known_instruments,
    )


def _timestamp_ns(text: str) -> int:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as e:
        raise EscalationError(f"request timestamp {text!r} is not ISO-8601") from e
    if moment.tzinfo is None:
        raise EscalationError(f"request timestamp {text!r} has no time zone (expected UTC, e.g. ...Z)")
    return int(moment.timestamp()) * 1_000_000_000 + moment.microsecond * 1_000


def request_from_json(
    raw: bytes, *, untrusted_text: tuple[str, ...] = (), trigger: str = ""
) -> EscalationRequest:
    """An escalation request from the seed's request object plus ``"call_type"`` (``aureus escalate``).

    The id is derived from the body, so the same file gives the same request (and the same version id).

    Raises
    ------
    EscalationError
        Not JSON, an unknown call type, a missing or extra field (the message names its path), or a
        timestamp that is not ISO-8601 UTC.
    """
    try:
        body = _BODY.decode(raw)
    except msgspec.DecodeError as e:
        raise EscalationError(f"escalation request: {e}") from e
    return EscalationRequest(
        ts_event=_timestamp_ns(body.timestamp),
        request_id="req-" + version_id(raw.decode("utf-8", "replace"))[3:],
        body=body,
        trigger=trigger,
        untrusted_text=untrusted_text,
    )


_OUTCOME = msgspec.json.Decoder(EscalationOutcome)
_ENCODE = msgspec.json.Encoder()


def handle_once(
    service: EscalationService, requests_log, request: EscalationRequest, *, now_ns: int | None = None
) -> tuple[EscalationOutcome | None, bool]:
    """Handle a request at most once across workers and redeliveries.

    Returns ``(outcome, replayed)``: the stored outcome with ``replayed=True`` for a request already
    handled (publish it again, no model is asked); ``(None, False)`` when another worker holds the request
    right now; otherwise the fresh outcome, recorded before it is returned.
    """
    stored = requests_log.outcome(request.request_id)
    if stored is not None:
        return _OUTCOME.decode(stored), True
    if not requests_log.claim(request.request_id):
        return None, False
    outcome = service.handle(request, now_ns=now_ns)
    requests_log.record(request.request_id, _ENCODE.encode(outcome))
    return outcome, False
