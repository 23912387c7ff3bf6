"""Hypothesis strategies for any msgspec wire type, derived from ``msgspec.inspect`` (bounds honoured)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from typing import Any

import msgspec
import msgspec.inspect as mi
from hypothesis import strategies as st

import schemas
from schemas.common import SUPPORTED_SCHEMA_VERSIONS

_INT64 = 2**63


def _ints(t: mi.IntType) -> st.SearchStrategy[int]:
    low = t.ge if t.ge is not None else (t.gt + 1 if t.gt is not None else -_INT64)
    high = t.le if t.le is not None else (t.lt - 1 if t.lt is not None else _INT64 - 1)
    return st.integers(min_value=low, max_value=high)


def _floats(t: mi.FloatType) -> st.SearchStrategy[float]:
    return st.floats(
        min_value=t.ge if t.ge is not None else t.gt,
        max_value=t.le if t.le is not None else t.lt,
        exclude_min=t.gt is not None,
        exclude_max=t.lt is not None,
        allow_nan=False,
        allow_infinity=False,
    )


def _struct(t: mi.StructType) -> st.SearchStrategy[Any]:
    required: dict[str, st.SearchStrategy[Any]] = {}
    optional: dict[str, st.SearchStrategy[Any]] = {}
    for field in t.fields:
        if field.name == "schema_version":
            strategy: st.SearchStrategy[Any] = st.sampled_from(sorted(SUPPORTED_SCHEMA_VERSIONS))
        else:
            strategy = from_info(field.type)
        (required if field.required else optional)[field.name] = strategy
    return st.fixed_dictionaries(required, optional=optional).map(lambda kwargs: t.cls(**kwargs))


def from_info(t: mi.Type) -> st.SearchStrategy[Any]:
    """Strategy for a ``msgspec.inspect`` type description."""
    match t:
        case mi.StructType():
            return _struct(t)
        case mi.UnionType():
            return st.one_of([from_info(member) for member in t.types])
        case mi.LiteralType():
            return st.sampled_from(t.values)
        case mi.IntType():
            return _ints(t)
        case mi.FloatType():
            return _floats(t)
        case mi.StrType():
            return st.text(max_size=12)
        case mi.BoolType():
            return st.booleans()
        case mi.NoneType():
            return st.none()
        case mi.BytesType():
            return st.binary(max_size=64)
        case mi.DictType():
            return st.dictionaries(from_info(t.key_type), from_info(t.value_type), max_size=4)
        case mi.VarTupleType():
            return st.lists(from_info(t.item_type), max_size=4).map(tuple)
        case mi.ListType():
            return st.lists(from_info(t.item_type), max_size=4)
    raise NotImplementedError(f"no strategy for {t!r}")


def strategy_for(type_: Any) -> st.SearchStrategy[Any]:
    """Strategy for a Python type (a Struct class or a union of them)."""
    return from_info(mi.type_info(type_))


def all_struct_classes() -> list[type[msgspec.Struct]]:
    """Every Struct class defined in a module of the ``schemas`` package."""
    found: list[type[msgspec.Struct]] = []
    for info in pkgutil.iter_modules(schemas.__path__):
        module = importlib.import_module(f"schemas.{info.name}")
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, msgspec.Struct) and obj.__module__ == module.__name__:
                found.append(obj)
    return sorted(found, key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")
