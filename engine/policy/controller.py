"""The node's side of the ``control`` topic for policy updates: the one writer of the policy.

:class:`PolicyController` holds the policy in force, applies each :class:`~schemas.control.PolicyUpdate`
whole or not at all as a new version (recorded in the state store before it takes effect), and says
whether the update carries a GPT-5 SANITY_JUDGE decision to end the quarantine. Decisions and trades read
``controller.policy.version`` as their policy version (the seed's experiment id).
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from engine.config import Policy
from engine.policy.apply import GPT5_SOURCE
from engine.policy.bounds import PolicyLimits
from engine.policy.errors import PolicyBoundsError, PolicyError
from engine.policy.versions import PolicyStore, apply_and_commit
from engine.risk.notices import alert
from schemas.alerts import Alert
from schemas.control import PolicyUpdate
from schemas.escalation import LiveChanges, SanityJudgeResponse, StopMultipliers

log = structlog.get_logger("aureus.policy")


@dataclass(frozen=True)
class ControlResult:
    """What one update did.

    Attributes
    ----------
    applied : bool
        A new version is in force.
    policy : Policy
        The policy in force afterwards.
    alerts : tuple[Alert, ...]
        ``policy_updated`` or ``policy_update_rejected``.
    sanity_judge : SanityJudgeResponse or None
        A GPT-5 SANITY_JUDGE decision for the risk supervisor (``record_sanity_judge``), else ``None``.
    """

    applied: bool
    policy: Policy
    alerts: tuple[Alert, ...] = ()
    sanity_judge: SanityJudgeResponse | None = None


class PolicyController:
    """Applies policy updates for one node.

    Parameters
    ----------
    store : PolicyStore
        Versions; the policy in force is read from it at start (a restart resumes the last version).
    limits : PolicyLimits
        Bounds, with the node's own instruments as the known ones.
    """

    def __init__(self, store: PolicyStore, limits: PolicyLimits) -> None:
        self._store = store
        self._limits = limits
        self.policy = store.current()

    def on_update(self, update: PolicyUpdate) -> ControlResult:
        """Apply ``update``; a rejected or redelivered update leaves the policy as it was."""
        try:
            policy, applied = apply_and_commit(self._store, update, self._limits)
        except (PolicyBoundsError, PolicyError) as e:
            log.warning("policy_update_rejected", version=update.version, source=update.source, error=str(e))
            message = f"Policy update {update.version} from {update.source} rejected: {e}"[:500]
            return ControlResult(
                applied=False,
                policy=self.policy,
                alerts=(alert(update.ts_event, "warning", "policy_update_rejected", message),),
            )
        if not applied:
            return ControlResult(applied=False, policy=self.policy)
        self.policy = policy
        log.info(
            "policy_updated", version=policy.version, previous=update.previous_version, source=update.source
        )
        message = f"Policy {policy.version} in force ({update.source}: {update.reason})"[:500]
        return ControlResult(
            applied=True,
            policy=policy,
            alerts=(alert(update.ts_event, "info", "policy_updated", message),),
            sanity_judge=_sanity_judge(update, policy),
        )


def _sanity_judge(update: PolicyUpdate, policy: Policy) -> SanityJudgeResponse | None:
    stay_demo = update.overrides.get("stay_demo")
    if update.call_type != "SANITY_JUDGE" or update.source != GPT5_SOURCE or not isinstance(stay_demo, bool):
        return None
    return SanityJudgeResponse(
        stay_demo=stay_demo,
        live_changes=LiveChanges(
            max_position_pct=policy.max_position_pct,
            stop_multipliers=StopMultipliers(
                atr=policy.stop_multipliers.atr, trailing=policy.stop_multipliers.trailing
            ),
        ),
    )


def apply_policy_control(controller: PolicyController, supervisor, update: PolicyUpdate):
    """What the node does with one ``control`` policy update: apply it as a version and, for a GPT-5
    SANITY_JUDGE decision, record it with the risk supervisor (``stay_demo`` false ends the quarantine).

    Parameters
    ----------
    controller : PolicyController
        The node's policy controller.
    supervisor : engine.risk.supervisor.RiskSupervisor
        The node's risk supervisor.
    update : PolicyUpdate
        The message.

    Returns
    -------
    tuple[ControlResult, RiskUpdate or None]
        The policy result, and the supervisor's update (risk events and alerts to publish) when a
        SANITY_JUDGE decision was recorded.
    """
    result = controller.on_update(update)
    if result.sanity_judge is None:
        return result, None
    call_id = update.request_id or update.version
    return result, supervisor.record_sanity_judge(update.ts_event, result.sanity_judge, call_id=call_id)
