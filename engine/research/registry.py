"""Versioned model sets on disk: ``<root>/<set>/<version>/`` plus ``<root>/<set>/registry.json``.

A version directory is immutable once added (the output of ``aureus train walkforward``). The registry
file records which version is promoted, the promotion history (for rollback) and every promotion
decision, accepted or not. Rolling back moves the pointer to the previous version, whose files were
never touched, so the previous set is restored byte for byte (``verify_version`` checks the hashes).
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import Any

import msgspec

from engine.research.errors import RegistryError

REGISTRY_FILE = "registry.json"
_NAME_OK = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")


class SetState(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The registry file of one model set."""

    promoted: str | None = None
    history: list[str] = []
    decisions: list[dict[str, Any]] = []


def _check_name(kind: str, name: str) -> None:
    if not name or name.startswith(".") or not set(name) <= _NAME_OK:
        raise RegistryError(f"invalid {kind} name {name!r}: use letters, digits, '-', '_' and '.'")


def read_state(root: str | Path, model_set: str) -> SetState:
    """The set's registry state (empty when the set has none yet)."""
    path = Path(root) / model_set / REGISTRY_FILE
    if not path.exists():
        return SetState()
    try:
        return msgspec.json.decode(path.read_bytes(), type=SetState)
    except msgspec.DecodeError as e:
        raise RegistryError(f"registry file {path} is unreadable: {e}") from e


def write_state(root: str | Path, model_set: str, state: SetState) -> None:
    """Write the set's registry state atomically."""
    path = Path(root) / model_set / REGISTRY_FILE
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(msgspec.json.format(msgspec.json.encode(state), indent=2) + b"\n")
    tmp.replace(path)


def list_sets(root: str | Path) -> dict[str, list[str]]:
    """Every set under ``root`` with a version directory holding ``metrics.json``, versions sorted."""
    out: dict[str, list[str]] = {}
    base = Path(root)
    if not base.is_dir():
        return out
    for set_dir in sorted(p for p in base.iterdir() if p.is_dir()):
        versions = sorted(v.name for v in set_dir.iterdir() if (v / "metrics.json").is_file())
        if versions:
            out[set_dir.name] = versions
    return out


def version_dir(root: str | Path, model_set: str, version: str) -> Path:
    """The directory of ``model_set/version``; raises when it is not a registered version."""
    _check_name("set", model_set)
    _check_name("version", version)
    path = Path(root) / model_set / version
    if not (path / "metrics.json").is_file():
        raise RegistryError(f"{model_set}/{version} is not a model-set version (no {path}/metrics.json)")
    return path


def add_version(root: str | Path, model_set: str, version: str, source: str | Path) -> Path:
    """Copy a walk-forward output directory in as ``model_set/version``; never overwrites."""
    _check_name("set", model_set)
    _check_name("version", version)
    src = Path(source)
    if not (src / "metrics.json").is_file():
        raise RegistryError(f"{src} has no metrics.json: not a walk-forward output")
    target = Path(root) / model_set / version
    if target.exists():
        raise RegistryError(f"{model_set}/{version} already exists; versions are immutable")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(src, target)
    return target


def version_fingerprint(path: str | Path) -> dict[str, str]:
    """sha256 of every file of a version directory, by relative name."""
    base = Path(path)
    return {
        str(p.relative_to(base)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(base.rglob("*"))
        if p.is_file()
    }


def verify_version(path: str | Path) -> None:
    """Check the model files against the hashes ``metrics.json`` recorded when they were written."""
    base = Path(path)
    files = msgspec.json.decode((base / "metrics.json").read_bytes()).get("files", {})
    for name, digest in files.items():
        actual = hashlib.sha256((base / name).read_bytes()).hexdigest() if (base / name).is_file() else None
        if actual != digest:
            raise RegistryError(f"{base / name}: sha256 {actual} differs from metrics.json's {digest}")


def record_promotion(root: str | Path, model_set: str, version: str, decision: dict[str, Any]) -> SetState:
    """Record a promotion decision; when its status is ``promoted``, move the pointer to ``version``."""
    state = read_state(root, model_set)
    state.decisions.append({"version": version, **decision})
    if decision.get("status") == "promoted":
        if state.promoted is not None and state.promoted != version:
            state.history.append(state.promoted)
        state.promoted = version
    write_state(root, model_set, state)
    return state


def rollback(root: str | Path, model_set: str) -> SetState:
    """Make the previously promoted version the promoted one again."""
    state = read_state(root, model_set)
    if not state.history:
        raise RegistryError(f"{model_set}: nothing to roll back to (no earlier promoted version)")
    previous = state.history.pop()
    verify_version(version_dir(root, model_set, previous))
    state.decisions.append({"version": previous, "status": "rolled_back_to", "from": state.promoted})
    state.promoted = previous
    write_state(root, model_set, state)
    return state


def resolve_model_dir(path: str | Path) -> Path:
    """A model directory to load: ``path`` itself, or its promoted version when ``path`` is a set.

    Raises
    ------
    RegistryError
        ``path`` is a set whose registry promotes nothing.
    """
    base = Path(path)
    if not (base / REGISTRY_FILE).is_file():
        return base
    state = read_state(base.parent, base.name)
    if state.promoted is None:
        raise RegistryError(f"model set {base} has no promoted version")
    return base / state.promoted
