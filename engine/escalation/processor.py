"""One escalation, end to end and broker-free: budget → GPT-5 → local reasoner → validate → bound → update.

The same :class:`EscalationProcessor` runs in the faust worker, in ``aureus escalate`` and in tests. Order
of events for one request:

1. Reserve a GPT-5 call in the shared daily budget (atomic in Redis). Reserved: call GPT-5 (alert
   "Escalation to GPT-5: Regime Auditor (n/3)"). Spent, or the budget store is down: skip GPT-5.
2. GPT-5 timed out, was rate-limited, failed with 5xx, refused, or answered outside the schema: the attempt is
   logged, the seed's "GPT-5 unavailable—using local reasoner" alert goes out (once per outage), and the
   local reasoner gets the same request.
3. An answer that decodes is mapped to a policy update and dry-run against the bounds table; an answer
   outside the bounds is rejected whole (recorded, alerted), never applied in part, and not retried.
4. An answer from the local reasoner that does not decode is rejected whole (it is online, just wrong).
   The local reasoner failing too means no change, and the seed's "Local reasoner offline—using RL-only
   mode" alert with an ``rl_only`` update (RL-only ensemble, feature toggles frozen) when that mode starts.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

import msgspec
import structlog

from engine.config import EscalationConfig, Policy
from engine.escalation.errors import BudgetUnavailableError, ReasonerError
from engine.escalation.ports import CallBudget, Reasoner
from engine.escalation.prompt import answer_schema, build_messages
from engine.policy.answers import propose_update
from engine.policy.apply import apply_update, version_id
from engine.policy.bounds import PolicyLimits
from engine.policy.errors import PolicyBoundsError
from engine.risk.failsafe import EscalationAttempt, FailureModes
from engine.risk.notices import alert
from schemas.alerts import Alert
from schemas.control import PolicyUpdate
from schemas.errors import SchemaDecodeError
from schemas.escalation import EscalationRequest, decode_llm_response

log = structlog.get_logger("aureus.escalation")

Status = Literal["proposed", "rejected", "no_change"]

_TITLES = {
    "REGIME_AUDITOR": "Regime Auditor",
    "REWARD_ENGINEER": "Reward Engineer",
    "SANITY_JUDGE": "Sanity Judge",
}


class EscalationOutcome(msgspec.Struct, kw_only=True, frozen=True):
    """What one escalation produced.

    Parameters
    ----------
    request_id, call_type : str
        The request answered.
    ts_event : int
        The request's engine-clock time.
    status : {"proposed", "rejected", "no_change"}
        ``proposed``: ``update`` carries a bounded policy update; ``rejected``: an answer came back and
        broke the contract (``rejection`` says how); ``no_change``: no reasoner answered.
    source : str
        ``gpt5`` or ``ollama`` (who gave the answer judged), empty when none answered.
    update : PolicyUpdate or None
        The update to publish on ``control``; on ``no_change`` it may carry only ``rl_only``.
    rejection : str
        Why the answer was rejected.
    answer : str
        The raw answer judged (truncated), for the record.
    gpt5_calls : int
        GPT-5 calls used today after this escalation.
    attempts : tuple[EscalationAttempt, ...]
        Every failed model call of this escalation.
    alerts : tuple[Alert, ...]
        Alerts to publish.
    """

    request_id: str
    call_type: str
    ts_event: int
    status: Status
    source: str = ""
    update: PolicyUpdate | None = None
    rejection: str = ""
    answer: str = ""
    gpt5_calls: int = 0
    attempts: tuple[EscalationAttempt, ...] = ()
    alerts: tuple[Alert, ...] = ()


def utc_day(ts_ns: int) -> str:
    """``YYYY-MM-DD`` of a UTC timestamp in nanoseconds."""
    return datetime.fromtimestamp(ts_ns / 1e9, tz=UTC).date().isoformat()


MAX_RECORDED_ANSWER = 2000


class EscalationProcessor:
    """Processes escalation requests; keeps the failure-mode flags of this worker between requests.

    Parameters
    ----------
    config : EscalationConfig
        Prompt limits and budget size (the budget object enforces it).
    limits : PolicyLimits
        Bounds context for the dry run.
    gpt5, local : Reasoner
        GPT-5 (OpenAI API) and the local reasoner (Ollama).
    budget : CallBudget
        The shared per-day GPT-5 budget.
    """

    def __init__(
        self,
        config: EscalationConfig,
        limits: PolicyLimits,
        *,
        gpt5: Reasoner,
        local: Reasoner,
        budget: CallBudget,
    ) -> None:
        self._config = config
        self._limits = limits
        self._gpt5 = gpt5
        self._local = local
        self._budget = budget
        self.failures = FailureModes()

    def process(self, request: EscalationRequest, policy: Policy, *, now_ns: int) -> EscalationOutcome:
        """Run one escalation against the policy in force.

        ``now_ns`` is the wall clock: it picks the UTC day of the GPT-5 budget (spending is counted in real
        days). The update itself is stamped with the request's engine-clock ``ts_event``.
        """
        call_type = request.call_type
        messages = build_messages(request, self._config)
        schema = answer_schema(call_type)
        alerts: list[Alert] = []
        attempts: list[EscalationAttempt] = []
        ts = request.ts_event
        day = utc_day(now_ns)
        bound = log.bind(request_id=request.request_id, call_type=call_type, trigger=request.trigger)

        try:
            slot = self._budget.acquire(day)
        except BudgetUnavailableError as e:
            bound.warning("escalation_budget_unavailable", error=str(e))
            alerts.append(
                alert(ts, "warning", "escalation_budget_unavailable", f"GPT-5 budget unreadable: {e}")
            )
            slot = None
        used = self._used(day, slot)
        if slot is not None:
            limit = self._budget.limit
            title = _TITLES[call_type]
            alerts.append(
                alert(
                    ts, "info", "escalation_gpt5", f"Escalation to GPT-5: {title} ({slot}/{limit})", call_type
                )
            )
            bound.info("escalation_gpt5_call", slot=slot, limit=limit)
            raw = self._ask(self._gpt5, messages, schema, call_type, request, attempts, alerts)
            if raw is not None:
                alerts.extend(self.failures.gpt5_recovered(ts))
                return self._judge("gpt5", raw, request, policy, used, attempts, alerts)
        elif not any(a.code == "escalation_budget_unavailable" for a in alerts):
            alerts.append(
                alert(
                    ts,
                    "info",
                    "escalation_budget_spent",
                    f"GPT-5 budget spent ({used}/{self._budget.limit})—using local reasoner",
                    call_type,
                )
            )
        raw = self._ask(self._local, messages, schema, call_type, request, attempts, alerts)
        if raw is None and attempts and attempts[-1].error.startswith(f"{self._local.name}: invalid_answer"):
            alerts.extend(self.failures.reasoner_online(ts))
            return EscalationOutcome(
                request_id=request.request_id,
                call_type=call_type,
                ts_event=ts,
                status="rejected",
                source=self._local.name,
                rejection=attempts[-1].error,
                gpt5_calls=used,
                attempts=tuple(attempts),
                alerts=tuple(alerts),
            )
        if raw is None:
            offline = self.failures.reasoner_offline(ts)
            alerts.extend(offline)
            update = (
                self._mode_update(policy, request, rl_only=True) if offline or not policy.rl_only else None
            )
            bound.warning("escalation_no_change", attempts=len(attempts))
            return EscalationOutcome(
                request_id=request.request_id,
                call_type=call_type,
                ts_event=ts,
                status="no_change",
                update=update,
                gpt5_calls=used,
                attempts=tuple(attempts),
                alerts=tuple(alerts),
            )
        alerts.extend(self.failures.reasoner_online(ts))
        return self._judge("ollama", raw, request, policy, used, attempts, alerts)

    def _used(self, day: str, slot: int | None) -> int:
        if slot is not None:
            return slot
        try:
            return self._budget.used(day)
        except BudgetUnavailableError:
            return 0

    def _ask(self, reasoner, messages, schema, call_type, request, attempts, alerts) -> bytes | None:
        ts = request.ts_event
        try:
            raw = reasoner.ask(messages, schema, call_type.lower())
            decode_llm_response(call_type, raw)
            return raw
        except (ReasonerError, SchemaDecodeError) as e:
            kind = "invalid_answer" if isinstance(e, SchemaDecodeError) else type(e).__name__
            error = f"{reasoner.name}: {kind}: {e}"
            if isinstance(e, SchemaDecodeError):  # record what was rejected, not only why
                error += f"; answer {e.raw[:200].decode('utf-8', 'replace')!r}"
            attempt = EscalationAttempt(
                ts=ts, call_type=call_type, error=error[:800], request_id=request.request_id
            )
            attempts.append(attempt)
            log.warning(
                "escalation_attempt_failed",
                reasoner=reasoner.name,
                request_id=request.request_id,
                error=error[:500],
            )
            if isinstance(e, SchemaDecodeError):
                alerts.append(
                    alert(
                        ts,
                        "warning",
                        "escalation_rejected",
                        f"{reasoner.name} answer rejected: {e}"[:500],
                        call_type,
                    )
                )
            if reasoner is self._gpt5:
                alerts.extend(self.failures.gpt5_failed(ts, attempt))
            return None

    def _judge(self, source, raw, request, policy, used, attempts, alerts) -> EscalationOutcome:
        call_type = request.call_type
        answer = decode_llm_response(call_type, raw)
        common = dict(
            request_id=request.request_id,
            call_type=call_type,
            ts_event=request.ts_event,
            source=source,
            answer=raw.decode("utf-8", "replace")[:MAX_RECORDED_ANSWER],
            gpt5_calls=used,
        )
        try:
            update, _ = propose_update(
                call_type,
                answer,
                policy,
                self._limits,
                source=source,
                request_id=request.request_id,
                ts_event=request.ts_event,
                features_frozen=self.failures.features_frozen,
            )
        except PolicyBoundsError as e:
            log.warning(
                "escalation_answer_out_of_bounds",
                request_id=request.request_id,
                source=source,
                problems=e.problems,
            )
            alerts.append(
                alert(
                    request.ts_event,
                    "warning",
                    "escalation_rejected",
                    f"{source} answer out of bounds: {e}"[:500],
                    call_type,
                )
            )
            return EscalationOutcome(
                status="rejected", rejection=str(e), attempts=tuple(attempts), alerts=tuple(alerts), **common
            )
        if policy.rl_only and not self.failures.rl_only:
            update = msgspec.structs.replace(update, overrides={**update.overrides, "rl_only": False})
            apply_update(policy, update, self._limits)
        log.info("escalation_proposed", request_id=request.request_id, source=source, version=update.version)
        return EscalationOutcome(
            status="proposed", update=update, attempts=tuple(attempts), alerts=tuple(alerts), **common
        )

    def _mode_update(self, policy: Policy, request: EscalationRequest, *, rl_only: bool) -> PolicyUpdate:
        return PolicyUpdate(
            version=version_id(policy.version, request.request_id, "failsafe", str(rl_only)),
            ts_event=request.ts_event,
            source="failsafe",
            deltas={},
            overrides={"rl_only": rl_only},
            reason="local reasoner offline: RL-only mode, feature toggles frozen"
            if rl_only
            else "local reasoner back",
            previous_version=policy.version,
            request_id=request.request_id,
            call_type=request.call_type,
        )
