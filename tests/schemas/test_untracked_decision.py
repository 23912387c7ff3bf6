"""``EnsembleDecision`` is left out of Python's cycle collector (``gc=False``): a replay keeps one per bar
(about 30,000 on BTCUSDT) and, tracked, they made the collector's passes inside the loop four times as long.
That is safe only while no field can hold an object that could refer back to a decision: these tests
keep the fields to strings, numbers, ``None`` and containers of them."""

from __future__ import annotations

import gc
import typing

import msgspec

from schemas.signals import EnsembleDecision

_ATOMS = {str, int, float, bool, type(None)}


def _acyclic(tp) -> bool:
    """Whether values of ``tp`` can only hold atoms (so no reference back to a decision)."""
    if tp in _ATOMS:
        return True
    args = typing.get_args(tp)
    origin = typing.get_origin(tp)
    if origin is typing.Literal or origin is typing.Annotated:
        return all(type(a) in _ATOMS for a in args) if origin is typing.Literal else _acyclic(args[0])
    if origin in (dict, tuple, typing.Union) or type(tp).__name__ == "UnionType":
        return all(a is Ellipsis or _acyclic(a) for a in args)
    return False


def test_every_decision_field_holds_only_atoms():
    hints = typing.get_type_hints(EnsembleDecision)
    for name in EnsembleDecision.__struct_fields__:
        assert _acyclic(hints[name]), f"{name}: {hints[name]} may hold an object that refers back"


def test_decisions_are_not_tracked_by_the_cycle_collector():
    decision = EnsembleDecision(
        instrument="BTCUSDT.BINANCE",
        ts_event=1,
        p_short=0.6,
        p_mid=0.4,
        ppo_hint=None,
        base=0.5,
        penalties={"low_liquidity": 0.05},
        score=0.45,
        action="HOLD",
        size=0.0,
        reason_tags=("short_bullish", "mid_bearish"),
        policy_version="baseline-1",
        weights={"short": 0.5, "mid": 0.5, "rl": 0.0},
        rl_available=False,
    )
    replaced = msgspec.structs.replace(decision, ts_event=2, news_ids=("n1",))
    decoded = msgspec.json.decode(msgspec.json.encode(decision), type=EnsembleDecision)
    assert not any(gc.is_tracked(d) for d in (decision, replaced, decoded))
