"""Apply one ``control`` update to a policy, whole or not at all, producing the next version.

:func:`apply_update` is the single place where a :class:`~schemas.control.PolicyUpdate` becomes a
:class:`~engine.config.Policy`: the node calls it on every ``control`` message, and the escalation worker
calls it as a dry run before publishing, so both judge an update by the same rules (:mod:`.bounds`).
"""

from __future__ import annotations

import hashlib
import math

import msgspec

from engine.config import BlendWeights, BucketFractions, DoNotTrade, Policy
from engine.policy.bounds import BOUNDS, ROLLBACK_KEY, WEIGHT_STEP, PolicyLimits, check_policy
from engine.policy.errors import PolicyBoundsError
from schemas.control import PolicyUpdate

GPT5_SOURCE = "gpt5"
ROLLBACK_SOURCE = "rollback"


def version_id(*parts: str) -> str:
    """A deterministic policy version id (``pv-`` and 12 hex digits) from what produced it."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return f"pv-{digest[:12]}"


def _number(name: str, value: object, problems: list[str]) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        problems.append(f"{name}: expected a finite number, got {value!r}")
        return None
    return float(value)


def _check_names(update: PolicyUpdate, problems: list[str]) -> None:
    for name in update.deltas:
        bound = BOUNDS.get(name)
        if bound is None or bound.kind != "delta":
            problems.append(f"{name!r} is not a tunable that takes a delta")
    for name in update.overrides:
        if name == ROLLBACK_KEY and update.source == ROLLBACK_SOURCE:
            continue
        bound = BOUNDS.get(name)
        if bound is None or bound.kind == "delta":
            problems.append(f"{name!r} is not a tunable that takes a value")


def _blend(policy: Policy, update: PolicyUpdate, problems: list[str]) -> BlendWeights:
    w = msgspec.structs.asdict(policy.blend_weights)
    touched = False
    for name in ("short", "mid", "rl"):
        key = f"blend_weights.{name}"
        if key not in update.deltas:
            continue
        delta = _number(key, update.deltas[key], problems)
        if delta is None:
            continue
        if abs(delta) > WEIGHT_STEP + 1e-12:
            problems.append(f"{key} delta {delta!r} outside ±{WEIGHT_STEP}")
        w[name] += delta
        touched = True
    if not touched:
        return policy.blend_weights
    if any(v < 0.0 for v in w.values()):
        problems.append(f"blend_weights would go negative: {w}")
        return policy.blend_weights
    total = sum(w.values())
    if total <= 0.0:
        problems.append("blend_weights would sum to 0")
        return policy.blend_weights
    return BlendWeights(**{k: v / total for k, v in w.items()})


def _caps(policy: Policy, update: PolicyUpdate, problems: list[str]) -> BucketFractions:
    c = msgspec.structs.asdict(policy.bucket_caps)
    for name in ("core", "penny", "fno"):
        key = f"bucket_caps.{name}"
        if key in update.deltas:
            delta = _number(key, update.deltas[key], problems)
            if delta is not None:
                c[name] += delta
    return BucketFractions(**c) if all(math.isfinite(v) for v in c.values()) else policy.bucket_caps


def _symbols(name: str, value: object, problems: list[str]) -> tuple[str, ...]:
    if not isinstance(value, (tuple, list)) or not all(isinstance(s, str) for s in value):
        problems.append(f"{name}: expected a list of names, got {value!r}")
        return ()
    return tuple(value)


def _values(policy: Policy, update: PolicyUpdate, limits: PolicyLimits, problems: list[str]) -> dict:
    o = update.overrides
    changes: dict = {}
    reward = msgspec.structs.asdict(policy.reward_coefficients)
    stops = msgspec.structs.asdict(policy.stop_multipliers)
    for key, value in o.items():
        if key in ("stay_demo", "rl_only"):
            if not isinstance(value, bool):
                problems.append(f"{key}: expected true or false, got {value!r}")
            continue
        if key in ("disabled_features", "do_not_trade_list", ROLLBACK_KEY):
            continue
        number = _number(key, value, problems)
        if number is None:
            continue
        section, _, field = key.partition(".")
        if section == "reward_coefficients":
            reward[field] = number
        elif section == "stop_multipliers":
            stops[field] = number
        elif key == "turnover_penalties.penalty_rate":
            changes["turnover_penalties"] = msgspec.structs.replace(
                policy.turnover_penalties, penalty_rate=number
            )
        elif key == "max_position_pct":
            if number <= 0.0:
                problems.append(f"max_position_pct = {number!r} must be > 0")
            changes["max_position_pct"] = number
    if reward != msgspec.structs.asdict(policy.reward_coefficients):
        changes["reward_coefficients"] = msgspec.structs.replace(policy.reward_coefficients, **reward)
    if stops != msgspec.structs.asdict(policy.stop_multipliers):
        changes["stop_multipliers"] = msgspec.structs.replace(policy.stop_multipliers, **stops)
    if "rl_only" in o and isinstance(o["rl_only"], bool):
        changes["rl_only"] = o["rl_only"]
    if "disabled_features" in o:
        if policy.rl_only and o.get("rl_only") is not False:
            problems.append("disabled_features are frozen while the local reasoner is offline (rl_only)")
        changes["disabled_features"] = tuple(
            sorted(set(_symbols("disabled_features", o["disabled_features"], problems)))
        )
    if "do_not_trade_list" in o:
        until = update.ts_event + limits.do_not_trade_ttl_ns
        kept = {e.symbol: e for e in policy.do_not_trade_list}
        for symbol in _symbols("do_not_trade_list", o["do_not_trade_list"], problems):
            old = kept.get(symbol)
            kept[symbol] = DoNotTrade(symbol=symbol, until_ns=max(until, old.until_ns if old else 0))
        changes["do_not_trade_list"] = tuple(kept[s] for s in sorted(kept))
    return changes


def _prune(entries: tuple[DoNotTrade, ...], now_ns: int) -> tuple[DoNotTrade, ...]:
    return tuple(e for e in entries if e.until_ns > now_ns)


def apply_update(
    policy: Policy, update: PolicyUpdate, limits: PolicyLimits, *, restore: Policy | None = None
) -> Policy:
    """The policy after ``update``, as version ``update.version``; all of the update or nothing.

    Parameters
    ----------
    policy : Policy
        The policy in force.
    update : PolicyUpdate
        Deltas (``blend_weights.*``, ``bucket_caps.*``) and values (every other name of
        :data:`~engine.policy.bounds.BOUNDS`). A rollback (``source="rollback"``) names the version to
        restore in ``overrides["rollback_to"]`` and passes that version's policy as ``restore``.
    limits : PolicyLimits
        Risk clamps, known instruments and features.
    restore : Policy, optional
        The policy a rollback restores.

    Returns
    -------
    Policy
        The new policy; ``do_not_trade_list`` entries that ended by ``update.ts_event`` are dropped.

    Raises
    ------
    PolicyBoundsError
        Any name outside the table, a step over its limit, a result outside the absolute bounds, or
        ``stay_demo`` false from anyone but GPT-5. ``problems`` lists every one.
    """
    problems: list[str] = []
    _check_names(update, problems)
    if update.overrides.get("stay_demo") is False and update.source != GPT5_SOURCE:
        problems.append(
            f"stay_demo false from {update.source!r}: only a GPT-5 SANITY_JUDGE answer clears quarantine"
        )
    if not update.version or update.version == policy.version:
        problems.append(f"update version {update.version!r} is not a new version")
    if update.source == ROLLBACK_SOURCE:
        if restore is None or update.overrides.get(ROLLBACK_KEY) != restore.version:
            problems.append("a rollback needs the policy of the version it names")
            raise PolicyBoundsError(problems)
        new = msgspec.structs.replace(restore, version=update.version)
    else:
        blend = _blend(policy, update, problems)
        caps = _caps(policy, update, problems)
        changes = _values(policy, update, limits, problems)
        if problems:
            raise PolicyBoundsError(problems)
        new = msgspec.structs.replace(
            policy, version=update.version, blend_weights=blend, bucket_caps=caps, **changes
        )
    new = msgspec.structs.replace(new, do_not_trade_list=_prune(new.do_not_trade_list, update.ts_event))
    problems.extend(check_policy(new, limits, now_ns=update.ts_event))
    if problems:
        raise PolicyBoundsError(problems)
    return new
