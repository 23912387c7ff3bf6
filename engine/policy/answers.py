"""Turn a model's validated answer into a :class:`~schemas.control.PolicyUpdate` in the policy vocabulary.

Only the contract's fields are read, and each maps to exactly one name of
:data:`engine.policy.bounds.BOUNDS`; whatever else a model writes has already failed the msgspec decode.
:func:`propose_update` then dry-runs :func:`~engine.policy.apply.apply_update`, so an answer that the node
would reject is rejected here, whole, before it is published.
"""

from __future__ import annotations

import re

import msgspec

from engine.config import Policy
from engine.policy.apply import GPT5_SOURCE, apply_update, version_id
from engine.policy.bounds import PolicyLimits
from engine.policy.errors import PolicyBoundsError
from schemas.control import OverrideValue, PolicyUpdate
from schemas.escalation import (
    LlmResponse,
    RegimeAuditorResponse,
    RewardEngineerResponse,
    SanityJudgeResponse,
)

_LABEL = re.compile(r"[^A-Za-z0-9 _.-]")
MAX_LABEL = 40


def _label(text: str) -> str:
    return _LABEL.sub("", text)[:MAX_LABEL].strip() or "unlabelled"


def _regime(answer: RegimeAuditorResponse) -> tuple[dict[str, float], dict[str, OverrideValue], str]:
    b, c = answer.blend_weights_delta, answer.bucket_caps_delta
    deltas = {
        "blend_weights.short": b.short,
        "blend_weights.mid": b.mid,
        "blend_weights.rl": b.rl,
        "bucket_caps.core": c.core,
        "bucket_caps.penny": c.penny,
        "bucket_caps.fno": c.fno,
    }
    overrides: dict[str, OverrideValue] = {}
    if answer.do_not_trade_list:
        overrides["do_not_trade_list"] = tuple(sorted(set(answer.do_not_trade_list)))
    return deltas, overrides, f"regime {_label(answer.regime_label)}"


def _reward(
    answer: RewardEngineerResponse, frozen: bool
) -> tuple[dict[str, float], dict[str, OverrideValue], str]:
    r = answer.reward_coefficients
    values = (r.returns, r.turnover, r.drawdown)
    if any(v < 0.0 for v in values):
        raise PolicyBoundsError([f"reward_coefficients {values!r} must be non-negative"])
    total = sum(values)
    if not total > 0.0:
        raise PolicyBoundsError(["reward_coefficients sum to 0"])
    overrides: dict[str, OverrideValue] = {
        "reward_coefficients.returns": r.returns / total,
        "reward_coefficients.turnover": r.turnover / total,
        "reward_coefficients.drawdown": r.drawdown / total,
        "turnover_penalties.penalty_rate": answer.turnover_penalties.penalty_rate,
    }
    reason = "reward mix"
    if frozen:
        reason += "; feature toggles frozen (local reasoner offline): disabled_features not applied"
    else:
        overrides["disabled_features"] = tuple(sorted(set(answer.disabled_features)))
    return {}, overrides, reason


def _sanity(
    answer: SanityJudgeResponse, source: str
) -> tuple[dict[str, float], dict[str, OverrideValue], str]:
    changes = answer.live_changes
    overrides: dict[str, OverrideValue] = {
        "max_position_pct": changes.max_position_pct,
        "stop_multipliers.atr": changes.stop_multipliers.atr,
        "stop_multipliers.trailing": changes.stop_multipliers.trailing,
    }
    if source == GPT5_SOURCE:
        overrides["stay_demo"] = answer.stay_demo
        reason = f"sanity judge: stay_demo {str(answer.stay_demo).lower()}"
    else:
        reason = "sanity judge (local reasoner: quarantine decision not applied)"
    return {}, overrides, reason


def propose_update(
    call_type: str,
    answer: LlmResponse,
    policy: Policy,
    limits: PolicyLimits,
    *,
    source: str,
    request_id: str,
    ts_event: int,
    features_frozen: bool = False,
) -> tuple[PolicyUpdate, Policy]:
    """The update an answer asks for, and the policy it would produce.

    Parameters
    ----------
    call_type : str
        ``REGIME_AUDITOR``, ``REWARD_ENGINEER`` or ``SANITY_JUDGE``.
    answer : LlmResponse
        The decoded answer (already valid against the contract's schema).
    policy : Policy
        The policy in force (its version becomes ``previous_version``).
    limits : PolicyLimits
        Bounds context.
    source : {"gpt5", "ollama"}
        Who answered; only ``gpt5`` may carry ``stay_demo``.
    request_id : str
        The escalation request; with the answer it determines the version id.
    ts_event : int
        Engine-clock nanoseconds of the request (``do_not_trade_list`` entries last from here).
    features_frozen : bool
        The local reasoner is offline: ``disabled_features`` are not changed.

    Raises
    ------
    PolicyBoundsError
        The answer breaks a bound; nothing of it may be applied.
    """
    if isinstance(answer, RegimeAuditorResponse) and call_type == "REGIME_AUDITOR":
        deltas, overrides, reason = _regime(answer)
    elif isinstance(answer, RewardEngineerResponse) and call_type == "REWARD_ENGINEER":
        deltas, overrides, reason = _reward(answer, features_frozen or policy.rl_only)
    elif isinstance(answer, SanityJudgeResponse) and call_type == "SANITY_JUDGE":
        deltas, overrides, reason = _sanity(answer, source)
    else:
        raise PolicyBoundsError([f"answer of type {type(answer).__name__} does not answer {call_type}"])
    content = msgspec.json.encode([deltas, overrides]).decode()
    update = PolicyUpdate(
        version=version_id(policy.version, request_id, source, content),
        ts_event=ts_event,
        source=source,
        deltas=deltas,
        overrides=overrides,
        reason=reason,
        previous_version=policy.version,
        request_id=request_id,
        call_type=call_type,
    )
    return update, apply_update(policy, update, limits)
