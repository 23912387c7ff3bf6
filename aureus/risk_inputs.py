"""Checks behind ``aureus risk``: the state must exist unless ``--init``; operator input is range-checked.

Bounds of a SANITY_JUDGE approval come from the escalation contract (seed 001): ``max_position_pct`` is a
fraction of NAV within (0, the largest per-name cap of the config], stop multipliers within [1.0, 3.0].
"""

from __future__ import annotations

from pathlib import Path

from engine.config import AureusConfig
from engine.errors import StateStoreError
from schemas.errors import AureusError

DEFAULT_STATE_DIR = Path("runs/latest/state")
RISK_KEY = "risk"
STOP_MULTIPLIER_RANGE = (1.0, 3.0)


class RiskInputError(AureusError):
    """Operator input to ``aureus risk`` that cannot be recorded (empty name, out-of-range approval)."""


def require_text(option: str, value: str) -> str:
    """``value`` stripped; an empty or blank value raises :class:`RiskInputError` naming ``option``."""
    text = value.strip()
    if not text:
        raise RiskInputError(f"{option} must not be empty")
    return text


def state_dir(state: Path | None) -> Path:
    """The embedded state directory: ``state`` or :data:`DEFAULT_STATE_DIR` (a plain replay's)."""
    return DEFAULT_STATE_DIR if state is None else state


def open_checked_supervisor(cfg: AureusConfig, state: Path | None, *, init: bool, read_only: bool = False):
    """A :class:`~engine.risk.supervisor.RiskSupervisor` over an existing risk state.

    Raises
    ------
    StateStoreError
        The store holds no risk state and ``init`` is false, or the stored state is corrupt or out of range.
    """
    from adapters.state import open_store
    from engine.risk.supervisor import RiskSupervisor

    where = f"Redis {cfg.store.redis_url} (prefix {cfg.store.key_prefix!r})"
    if cfg.store.backend == "file":
        directory = state_dir(state)
        where = str(directory)
        if directory.exists() and not directory.is_dir():
            raise StateStoreError(f"--state {directory} is a file, not a state directory")
        if not (directory / f"{RISK_KEY}.state").is_file() and not init:
            raise StateStoreError(
                f"no risk state in {where} (a replay writes OUT/state; pass --init to start a fresh one)"
            )
        store = open_store(cfg.store, path=directory)
    else:
        store = open_store(cfg.store, path=state)
        if store.get(RISK_KEY) is None and not init:
            raise StateStoreError(f"no risk state in {where} (pass --init to start a fresh one)")
    return RiskSupervisor(cfg.risk, cfg.mode, store=store, read_only=read_only)


def read_approval(path: Path, cfg: AureusConfig):
    """Decode and range-check a SANITY_JUDGE answer file.

    Raises
    ------
    RiskInputError
        Missing or unreadable file, or a field out of range (named).
    SchemaDecodeError
        Not the seed's JSON shape (the field path is named).
    """
    from schemas.escalation import decode_llm_response

    if not path.is_file():
        raise RiskInputError(f"--response file not found: {path}")
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise RiskInputError(f"cannot read --response {path}: {e.strerror or e}") from e
    answer = decode_llm_response("SANITY_JUDGE", raw)
    changes = answer.live_changes
    caps = cfg.risk.caps.per_name_pct
    cap = max(caps.core, caps.penny, caps.fno)
    if not 0.0 < changes.max_position_pct <= cap / 100.0:
        raise RiskInputError(
            f"{path}: live_changes.max_position_pct={changes.max_position_pct} must be within "
            f"(0, {cap / 100.0}] (the per-name cap {cap} % as a fraction)"
        )
    low, high = STOP_MULTIPLIER_RANGE
    for name in ("atr", "trailing"):
        value = getattr(changes.stop_multipliers, name)
        if not low <= value <= high:
            raise RiskInputError(
                f"{path}: live_changes.stop_multipliers.{name}={value} must be within [{low}, {high}]"
            )
    return answer
