"""The numba ensemble pass against the numpy expression it replaced: the same action and size bits on
the real BTCUSDT decision inputs and on hypothesis-drawn arrays (NaN scores and context, signed zeros,
threshold ties, RL hint or not, policies with other weights, triggers and penalties)."""

from __future__ import annotations

import math

import msgspec
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.config import AureusConfig
from engine.sim.decisions import ensemble_arrays, ensemble_arrays_numpy

POLICY = AureusConfig().policy


def _same(args, policy) -> None:
    want = ensemble_arrays_numpy(*args, policy)
    got = ensemble_arrays(*args, policy)
    assert got[0].dtype == want[0].dtype and got[0].tobytes() == want[0].tobytes()
    assert got[1].tobytes() == want[1].tobytes()


def _policy(**changes):
    raw = msgspec.to_builtins(POLICY)
    for path, value in changes.items():
        node = raw
        *parents, leaf = path.split(".")
        for p in parents:
            node = node[p]
        node[leaf] = value
    return msgspec.convert(raw, type(POLICY))


@pytest.mark.slow
def test_numba_ensemble_equals_numpy_on_the_real_btcusdt_decision_inputs():
    from aureus.paths import resolve_repo_path
    from aureus.sim_run import load_bars
    from bench.common import btcusdt_recording
    from engine.sim import build_decisions

    config = AureusConfig()
    bars, specs, _, _ = load_bars(btcusdt_recording())
    d = build_decisions(
        bars, config, buckets=[s.bucket for s in specs], models_dir=str(resolve_repo_path(config.models.dir))
    )
    args = [d.p_short, d.p_mid, None, d.vol_z, d.sentiment, d.liquidity, d.correlation, d.bucket_limit_pct]
    assert (d.action == 1).sum() > 0 and np.isnan(d.p_short).sum() > 0
    for policy in (POLICY, _policy(**{"thresholds.buy": 0.55, "thresholds.sell": 0.45})):
        _same(args, policy)
    hint = np.sin(np.arange(d.p_short.size) / 7.0) * 3.0
    _same([*args[:2], hint, *args[3:]], POLICY)


_value = st.one_of(
    st.floats(-3.0, 3.0), st.sampled_from([math.nan, 0.0, -0.0, 0.5, 0.6, 0.4, 1.0, -math.inf, math.inf])
)
_prob = st.one_of(st.floats(0.0, 1.0), st.sampled_from([math.nan, 0.0, -0.0, 0.5, 1.0]))


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(st.tuples(_prob, _prob, _value, _value, _value, _value, _value), min_size=1, max_size=20),
    rl=st.booleans(),
    policy=st.sampled_from(
        [
            POLICY,
            _policy(**{"blend_weights.short": 0.7, "blend_weights.mid": 0.2, "blend_weights.rl": 0.1}),
            _policy(**{"thresholds.buy": 0.5, "thresholds.sell": 0.5}),
            _policy(**{"penalties.vol_spike": 0.3, "penalties.news_negative": 1e-17, "triggers.vol_z": 0.0}),
        ]
    ),
    limit=st.sampled_from([90.0, 1.5, 0.0]),
)
def test_numba_ensemble_equals_numpy_on_drawn_inputs(rows, rl, policy, limit):
    a = np.asarray(rows, dtype=np.float64)
    cols = [np.ascontiguousarray(a[:, j]) for j in range(7)]
    hint = cols[2] if rl else None
    _same([cols[0], cols[1], hint, *cols[3:], np.full(len(rows), limit)], policy)
