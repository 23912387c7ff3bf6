"""Range checks of a stored :class:`~engine.state.RiskState` beyond what its types say.

The document is edited by hand sometimes (restores, tests, an operator); a negative quarantine count or a
malformed day would silently change what the next run trades. Decoding then fails naming the field.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from engine.errors import StateStoreError

if TYPE_CHECKING:
    from engine.risk.state import RiskState

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _day(field: str, value: str, *, empty_ok: bool = True) -> str | None:
    if value == "" and empty_ok:
        return None
    return None if _DAY.match(value) else f"{field}={value!r} is not a YYYY-MM-DD day"


def _days(field: str, values: Iterable[str]) -> str | None:
    for i, value in enumerate(values):
        problem = _day(f"{field}[{i}]", value, empty_ok=False)
        if problem:
            return problem
    return None


def _non_negative(field: str, value: float) -> str | None:
    if not math.isfinite(value) or value < 0:
        return f"{field}={value!r} must be a finite number >= 0"
    return None


def state_problems(state: RiskState) -> list[str]:
    """Every out-of-range field of ``state``, as ``field=value must be ...`` sentences (empty when valid)."""
    checks = [
        _day("day", state.day),
        _day("halted_day", state.halted_day),
        _day("quarantine_started", state.quarantine_started),
        _days("kill_days", state.kill_days),
        _days("trading_days", state.trading_days),
        _days("demo_days", state.demo_days),
        _days("quarantine_days", state.quarantine_days),
        _non_negative("sod_nav", state.sod_nav),
        _non_negative("last_nav", state.last_nav),
        _non_negative("halted_ts", state.halted_ts),
        _non_negative("quarantine_remaining", state.quarantine_remaining),
        _non_negative("activations", state.activations),
        _non_negative("sip_balance", state.sip_balance),
    ]
    if not (math.isfinite(state.day_pnl_low) and state.day_pnl_low >= -1.0):
        checks.append(f"day_pnl_low={state.day_pnl_low!r} must be a finite fraction >= -1")
    for i, entry in enumerate(state.sip_ledger):
        checks.append(_non_negative(f"sip_ledger[{i}].amount", entry.amount))
    return [c for c in checks if c]


def check_state(state: RiskState, *, key: str) -> RiskState:
    """Return ``state`` when every field is in range.

    Raises
    ------
    StateStoreError
        Naming the key and the first field out of range.
    """
    problems = state_problems(state)
    if problems:
        raise StateStoreError(f"risk state under key {key!r} is out of range: {problems[0]}")
    return state
