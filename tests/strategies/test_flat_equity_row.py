"""A flat book's equity row is filled into a kept all-zero row (``BookMixin._record_equity``); it must equal,
field for field and type for type, the row the exposure path builds for the same all-zero notionals."""

from __future__ import annotations

import math
from types import SimpleNamespace

import msgspec
import pytest

from engine.sink import EQUITY, CollectingSink
from strategies.book import BookMixin
from strategies.outputs import StrategyOutputs

T = 1_677_628_860_000_000_000


@pytest.mark.parametrize("day_pnl", [0.0, -0.0, -0.0123, 0.004, math.nan])
@pytest.mark.parametrize(("mode", "halted"), [("demo", False), ("demo", True), ("live", False)])
def test_flat_row_equals_the_exposure_paths_row(day_pnl, mode, halted):
    rows = []
    for flat_path in (True, False):
        supervisor = SimpleNamespace(day_pnl=day_pnl, mode=mode, halted=halted)
        flat = {"A.SIM": 0.0, "B.SIM": 0.0}
        strategy = SimpleNamespace(
            risk=SimpleNamespace(supervisor=supervisor),
            _flat_notionals=flat,
            _buckets={"A.SIM": "core", "B.SIM": "penny"},
            outputs=StrategyOutputs(CollectingSink()),
        )
        notionals = flat if flat_path else dict(flat)  # a copy: not the flat book's dict, the exposure path
        BookMixin._record_equity(strategy, T, 100_123.5, notionals)
        BookMixin._record_equity(strategy, T + 60 * 10**9, 99_000.25, notionals)
        rows.append(strategy.outputs.sink.get(EQUITY))
    flat_rows, plain_rows = rows
    assert repr(flat_rows) == repr(plain_rows)  # repr: -0.0 and NaN alike
    assert msgspec.json.encode(flat_rows) == msgspec.json.encode(plain_rows)
    assert [type(v) for v in flat_rows[0].as_tuple()] == [type(v) for v in plain_rows[0].as_tuple()]
    assert [r.ts for r in flat_rows] == [T, T + 60 * 10**9]
