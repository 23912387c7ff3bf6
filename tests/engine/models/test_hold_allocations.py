"""A HOLD decision keeps nothing: over many real BTCUSDT bars decided HOLD (incremental features, policy
mask, both models through the bundle's bound single-row call, ensemble), tracemalloc's traced blocks
stay bounded instead of growing with the number of decisions."""

from __future__ import annotations

import tracemalloc

import msgspec
import numpy as np
import pandas as pd
import pytest

from aureus.paths import resolve_repo_path
from engine.config import load_config
from engine.ensemble import EnsembleInputs, decide
from engine.features.vector import IncrementalFeatures
from engine.models.runtime import ModelBundle
from engine.policy.effects import masked_features

BTC_CSV = "/work/shared/data/crypto_1m_2023-03_binanceus/BTCUSDT_1m_20230301_20230321.csv"


def _traced(snapshot: tracemalloc.Snapshot) -> tuple[int, int]:
    # tracemalloc's own bookkeeping (the previous snapshot) is not the code under test
    stats = [s for s in snapshot.statistics("filename") if s.traceback[0].filename != tracemalloc.__file__]
    return sum(s.size for s in stats), sum(s.count for s in stats)


@pytest.mark.parametrize("cpu_runtime", ["numba", "onnxruntime"])
def test_hold_decisions_do_not_accumulate_allocations(cpu_runtime):
    cfg = load_config()
    # thresholds nobody reaches: every decision is a HOLD, the path this test is about
    thresholds = msgspec.structs.replace(cfg.policy.thresholds, buy=1.01, sell=-0.01)
    policy = msgspec.structs.replace(cfg.policy, thresholds=thresholds)
    bars = pd.read_csv(BTC_CSV, nrows=26_000)
    o, h, lo, c, v = (bars[k].to_numpy(np.float64) for k in ("open", "high", "low", "close", "volume"))
    bundle = ModelBundle.load(
        resolve_repo_path(cfg.models.dir),
        params=cfg.features,
        providers=["CPUExecutionProvider"],
        cpu_runtime=cpu_runtime,
    )
    assert bundle.runtime == cpu_runtime
    features = IncrementalFeatures(cfg.features)
    scores = np.zeros(len(bundle.names))
    holds = [0]

    def step(i: int) -> None:
        row = features.update(o[i], h[i], lo[i], c[i], v[i])
        if not features.ready:
            return
        bundle.predict_row_into(masked_features(policy, row), scores)
        decision = decide(
            EnsembleInputs(
                p_short=float(scores[0]),
                p_mid=float(scores[1]),
                ppo_hint=None,
                vol_z=features.vol_z,
                sentiment=0.0,
                liquidity=features.liquidity,
                correlation=1.0,
            ),
            policy,
            bucket_limit_pct=90.0,
        )
        holds[0] += decision.action == "HOLD"

    for i in range(6_000):  # warm-up: features ready, caches and freelists filled
        step(i)
    tracemalloc.start()
    try:
        for i in range(6_000, 8_000):
            step(i)
        first = _traced(tracemalloc.take_snapshot())
        for i in range(8_000, 26_000):  # 18,000 more HOLD decisions
            step(i)
        second = _traced(tracemalloc.take_snapshot())
    finally:
        tracemalloc.stop()
    assert holds[0] >= 20_000
    grown_bytes, grown_blocks = second[0] - first[0], second[1] - first[1]
    # one retained 8-byte object per decision would be 144 kB here
    assert grown_bytes < 2_048, (grown_bytes, grown_blocks)
    assert grown_blocks < 16, (grown_bytes, grown_blocks)


def test_predict_row_into_writes_the_callers_buffer_only():
    cfg = load_config()
    bundle = ModelBundle.load(
        resolve_repo_path(cfg.models.dir), params=cfg.features, providers=["CPUExecutionProvider"]
    )
    row = np.linspace(-0.01, 0.01, bundle.n_features)
    out = np.full(len(bundle.names), np.nan)
    bundle.predict_row_into(row, out)
    assert tuple(out.tolist()) == bundle.predict_row(row) == bundle.predict_row_onnxruntime(row)
