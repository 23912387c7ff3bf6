"""The fused per-bar step (features + every tree model in one numba call) against the two plain calls,
over every real BTCUSDT bar, with and without disabled features, and against onnxruntime; with other
model counts and unequal tree counts against the tree walk."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aureus.paths import REPO_ROOT
from engine.config import Policy
from engine.features.vector import FeatureParams, IncrementalFeatures
from engine.models.fused_step import FusedBarStep, fused_step_for
from engine.models.runtime import ModelBundle
from engine.models.tree_numba import TreeBundleEvaluator
from engine.models.tree_program import TreeProgram, compile_tree_model
from engine.policy.effects import masked_features

BTC_CSV = Path("/work/shared/data/crypto_1m_2023-03_binanceus/BTCUSDT_1m_20230301_20230321.csv")
PARAMS = FeatureParams()


def _bundle(runtime: str = "numba") -> ModelBundle:
    return ModelBundle.load(
        REPO_ROOT / "models" / "baseline",
        params=PARAMS,
        providers=["CPUExecutionProvider"],
        cpu_runtime=runtime,
    )


@pytest.fixture(scope="module")
def bars():
    df = pd.read_csv(BTC_CSV)
    cols = [df[k].to_numpy(np.float64) for k in ("open", "high", "low", "close", "volume")]
    cols[3][500] = np.nan  # a missing bar: NaN row, state untouched, no scores
    return list(zip(*(c.tolist() for c in cols), strict=True))


@pytest.mark.parametrize("disabled", [(), ("rsi_14", "vol_z", "news")])
def test_fused_step_equals_features_then_models_on_every_real_bar(bars, disabled):
    bundle = _bundle()
    policy = Policy(disabled_features=disabled)
    plain = IncrementalFeatures(PARAMS)
    fused_features = IncrementalFeatures(PARAMS)
    fused = fused_step_for(fused_features, bundle)
    assert isinstance(fused, FusedBarStep)
    fused.mask(policy.disabled_features)
    scored = 0
    for bar in bars:
        row = plain.update(*bar)
        ready = fused.step(*bar)
        assert ready == plain.ready == fused_features.ready
        assert np.array_equal(fused.row, row, equal_nan=True)
        assert (fused_features.vol_z, fused_features.atr, fused_features.liquidity) == pytest.approx(
            (plain.vol_z, plain.atr, plain.liquidity), nan_ok=True, rel=0, abs=0
        )
        if ready:
            want = bundle.predict_row(masked_features(policy, row))
            assert tuple(fused.scores.tolist()) == want
            scored += 1
    assert scored > 29_000


def test_fused_scores_equal_the_batch_and_onnxruntime_paths(bars):
    bundle, onnx_bundle = _bundle(), _bundle("onnxruntime")
    features = IncrementalFeatures(PARAMS)
    fused = fused_step_for(features, bundle)
    rows, scores = [], []
    for bar in bars:
        if fused.step(*bar):
            rows.append(fused.row.copy())
            scores.append(fused.scores.copy())
    rows, scores = np.asarray(rows), np.asarray(scores)
    assert np.array_equal(scores, bundle.predict_batch(rows))  # the multi-instrument step's batch call
    picks = range(0, len(rows), 97)
    assert all(tuple(scores[i].tolist()) == onnx_bundle.predict_row(rows[i]) for i in picks)


def test_mask_follows_the_policy_and_no_fused_step_without_the_binned_numba_runtime(bars):
    bundle = _bundle()
    features = IncrementalFeatures(PARAMS)
    fused = fused_step_for(features, bundle)
    for bar in bars[:400]:
        fused.step(*bar)
    fused.mask(("ret_1", "macd_hist_norm"))
    assert fused.step(*bars[400])
    masked = masked_features(Policy(disabled_features=("ret_1", "macd_hist_norm")), fused.row)
    assert tuple(fused.scores.tolist()) == bundle.predict_row(masked)
    fused.mask(())
    assert fused.step(*bars[401])
    assert tuple(fused.scores.tolist()) == bundle.predict_row(fused.row)
    assert fused_step_for(IncrementalFeatures(PARAMS), _bundle("onnxruntime")) is None


def _shipped_programs():
    return [
        compile_tree_model((REPO_ROOT / "models" / "baseline" / f"{n}.onnx").read_bytes(), "probabilities", 1)
        for n in ("p_short", "p_mid")
    ]


def _first_trees(p, k):
    return TreeProgram(p.nodes, p.values, p.roots[:k], p.kind, p.column, p.n_features)


@pytest.mark.parametrize("counts", [(200, 137), (60, 200), (200, 200, 200), (5, 200, 1), (200,)])
def test_fused_models_paired_with_unequal_tree_counts_score_like_the_walk(bars, counts):
    # the kernel sums two models per loop (bin_tree_sum2): unequal counts, an odd last model, one model
    shipped = _shipped_programs()
    programs = [_first_trees(shipped[i % 2], k) for i, k in enumerate(counts)]
    bins = TreeBundleEvaluator(programs, 11, method="bins")
    walk = TreeBundleEvaluator(programs, 11, method="walk")
    features = IncrementalFeatures(PARAMS)
    fused = FusedBarStep(features, bins)
    want = np.zeros(len(counts))
    scored = 0
    for bar in bars[:6000]:
        if fused.step(*bar):
            walk.predict_row_into(fused.row, want)
            assert np.array_equal(fused.scores, want)
            scored += 1
    assert scored > 5000
