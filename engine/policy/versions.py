"""Policy versions behind the state store: history, git-style diff, rollback.

Layout (one document per key, each written atomically by the store):

* ``policy:v:<version>`` — a :class:`PolicyRecord` (the whole policy plus who made it and why);
* ``policy:history`` — the versions in the order they took effect; the last one is in force.

The node is the only writer (DESIGN.md "one writer per piece of state"); the escalation worker and the CLI
read. A record is written before the history names it, so a crash between the two leaves an unused record,
never a history entry without its policy.
"""

from __future__ import annotations

import difflib

import msgspec

from engine.config import Policy
from engine.policy.apply import ROLLBACK_SOURCE, version_id
from engine.policy.bounds import ROLLBACK_KEY
from engine.policy.errors import PolicyError
from engine.state import StateStore
from schemas.control import PolicyUpdate

HISTORY_KEY = "policy:history"


class PolicyRecord(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """One policy version as stored: the policy and the update that produced it (``None`` for the base)."""

    version: str
    policy: Policy
    update: PolicyUpdate | None = None


class _History(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    versions: tuple[str, ...] = ()


_RECORD = msgspec.json.Decoder(PolicyRecord)
_HISTORY = msgspec.json.Decoder(_History)
_ENCODER = msgspec.json.Encoder()


def _record_key(version: str) -> str:
    return f"policy:v:{version}"


class PolicyStore:
    """Versioned policies in a :class:`~engine.state.StateStore`.

    Parameters
    ----------
    store : StateStore
        Embedded file store or Redis.
    base : Policy
        The configured policy: in force (and recorded as the first version) while the history is empty.
    """

    def __init__(self, store: StateStore, base: Policy) -> None:
        self._store = store
        self._base = base

    def history(self) -> tuple[str, ...]:
        """Versions in the order they took effect (empty before the first commit)."""
        raw = self._store.get(HISTORY_KEY)
        if raw is None:
            return ()
        try:
            return _HISTORY.decode(raw).versions
        except msgspec.DecodeError as e:
            raise PolicyError(f"state key {HISTORY_KEY!r} is corrupt: {e}") from e

    def record(self, version: str) -> PolicyRecord:
        """The stored record of ``version``; the configured base policy under its own version."""
        raw = self._store.get(_record_key(version))
        if raw is None:
            if version == self._base.version:
                return PolicyRecord(version=version, policy=self._base)
            known = ", ".join(self.history() or (self._base.version,))
            raise PolicyError(f"unknown policy version {version!r} (known: {known})")
        try:
            return _RECORD.decode(raw)
        except msgspec.DecodeError as e:
            raise PolicyError(f"policy version {version!r} is corrupt in the state store: {e}") from e

    def current(self) -> Policy:
        """The policy in force."""
        versions = self.history()
        return self.record(versions[-1]).policy if versions else self._base

    def commit(self, policy: Policy, update: PolicyUpdate | None) -> bool:
        """Record ``policy`` as the new version in force; ``False`` if that version is already known
        (a redelivered update), in which case nothing is written."""
        versions = self.history()
        if policy.version in versions:
            return False
        if not versions and self._base.version != policy.version:
            self._store.put(
                _record_key(self._base.version),
                _ENCODER.encode(PolicyRecord(version=self._base.version, policy=self._base)),
            )
            versions = (self._base.version,)
        self._store.put(
            _record_key(policy.version),
            _ENCODER.encode(PolicyRecord(version=policy.version, policy=policy, update=update)),
        )
        self._store.put(HISTORY_KEY, _ENCODER.encode(_History(versions + (policy.version,))))
        return True


def _flatten(value: object, prefix: str, out: list[str]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(item, f"{prefix}.{key}" if prefix else key, out)
    else:
        out.append(f"{prefix} = {msgspec.json.encode(value).decode()}")


def policy_lines(policy: Policy) -> list[str]:
    """``dotted.name = json`` lines of a policy, in field order (the unit of :func:`diff_policies`)."""
    out: list[str] = []
    _flatten(msgspec.to_builtins(policy), "", out)
    return out


def diff_policies(a: Policy, b: Policy) -> str:
    """Git-style unified diff of two policies (``a/policy@A`` → ``b/policy@B``); empty when equal
    apart from the version line."""
    old = [line for line in policy_lines(a) if not line.startswith("version =")]
    new = [line for line in policy_lines(b) if not line.startswith("version =")]
    body = list(
        difflib.unified_diff(old, new, f"a/policy@{a.version}", f"b/policy@{b.version}", lineterm="", n=2)
    )
    if not body:
        return ""
    return "\n".join([f"diff --git a/policy@{a.version} b/policy@{b.version}", *body]) + "\n"


def rollback_update(current: Policy, target_version: str, *, ts_event: int, by: str) -> PolicyUpdate:
    """The update that restores ``target_version``'s parameters as a new version on top of ``current``."""
    return PolicyUpdate(
        version=version_id(current.version, ROLLBACK_SOURCE, target_version, str(ts_event)),
        ts_event=ts_event,
        source=ROLLBACK_SOURCE,
        deltas={},
        overrides={ROLLBACK_KEY: target_version},
        reason=f"rollback to {target_version} by {by}",
        previous_version=current.version,
    )


def apply_and_commit(store: PolicyStore, update: PolicyUpdate, limits) -> tuple[Policy, bool]:
    """Apply ``update`` on the policy in force and record the result (rollbacks restore their target).

    Returns the policy in force afterwards and whether the update was new. A version already recorded
    is a redelivery: nothing changes. Raises :class:`~engine.policy.errors.PolicyBoundsError` (nothing
    written) when the update breaks a bound.
    """
    from engine.policy.apply import apply_update

    current = store.current()
    if update.version in store.history():
        return current, False
    restore = None
    if update.source == ROLLBACK_SOURCE:
        target = update.overrides.get(ROLLBACK_KEY)
        restore = store.record(target).policy if isinstance(target, str) else None
    new = apply_update(current, update, limits, restore=restore)
    return new, store.commit(new, update)
