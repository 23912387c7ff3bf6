"""One ``escalations`` message in, the messages to publish out: the worker's whole job, without faust.

A value that does not decode becomes a dead letter for ``dlq.escalations`` (the worker never crashes on
it). A request already handled republishes its recorded outcome; one in flight at another worker yields
nothing. Otherwise the outcome's update goes to ``control`` (key ``policy``), its alerts to ``alerts`` (key
the severity), in that order.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from engine.escalation.errors import BudgetUnavailableError
from schemas.codec import decode, encode
from schemas.dlq import DeadLetter, dead_letter_from
from schemas.errors import SchemaDecodeError
from schemas.topics import ALERTS, CONTROL, CONTROL_KEY, ESCALATIONS, dlq_topic
from streams.escalation.service import EscalationService, handle_once

log = structlog.get_logger("aureus.escalation")
WORKER = "escalation"


@dataclass(frozen=True)
class Outgoing:
    """One message to publish."""

    topic: str
    key: bytes
    value: bytes


def escalation_step(
    service: EscalationService, requests_log, key: bytes | None, raw: bytes, *, ts_received: int = 0
) -> list[Outgoing]:
    """Handle one ``escalations`` message.

    Parameters
    ----------
    service : EscalationService
        The processor with its reasoners, budget and policy store.
    requests_log : RedisRequestLog
        Claims and outcomes (at most one model call per request across workers and redeliveries).
    key, raw : bytes
        The message.
    ts_received : int
        The broker timestamp (ns), stamped on a dead letter.

    Returns
    -------
    list[Outgoing]
        What to publish, in order.
    """
    try:
        request = decode(ESCALATIONS, raw)
    except SchemaDecodeError as e:
        letter: DeadLetter = dead_letter_from(
            e, key=key, ts_event=ts_received, topic=ESCALATIONS, consumer=WORKER
        )
        log.warning("escalation_dead_letter", error=str(e)[:300])
        return [Outgoing(dlq_topic(ESCALATIONS), letter.key.encode(), encode(dlq_topic(ESCALATIONS), letter))]
    try:
        outcome, replayed = handle_once(service, requests_log, request)
    except BudgetUnavailableError as e:
        # Redis is down: no dedup, but no GPT-5 call either (the budget lives there too): local only
        log.warning("escalation_request_log_unavailable", request_id=request.request_id, error=str(e)[:300])
        outcome, replayed = service.handle(request), False
    if outcome is None:
        log.info("escalation_in_flight_elsewhere", request_id=request.request_id)
        return []
    out: list[Outgoing] = []
    if outcome.update is not None:
        out.append(Outgoing(CONTROL, CONTROL_KEY.encode(), encode(CONTROL, outcome.update)))
    if not replayed:
        out.extend(Outgoing(ALERTS, a.severity.encode(), encode(ALERTS, a)) for a in outcome.alerts)
    log.info("escalation_handled", request_id=request.request_id, status=outcome.status, replayed=replayed)
    return out
