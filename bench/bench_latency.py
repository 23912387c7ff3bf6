"""(b) Per-bar decision latency: incremental numba features + models + ensemble, p50/p99 in µs.

The models are scored by both CPU runtimes in the same invocation (``[models] cpu_runtime``): the numba
tree evaluator and the merged onnxruntime session, two interleaved passes each over the same bars,
samples pooled per runtime. The strategy's own path (``fused``): features and the numba trees in one
call (:mod:`engine.models.fused_step`) and :func:`engine.ensemble.decide_parts`, interleaved with them.
Baseline (same process, same bars): the naive way — recompute the feature matrix over the trailing
warm-up window at every bar, then score with ``InferenceSession.run``.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from aureus.paths import resolve_repo_path
from bench.common import BTCUSDT_CSV
from engine.config import load_config
from engine.ensemble import EnsembleInputs, decide, decide_parts
from engine.features.vector import IncrementalFeatures, compute_feature_matrix, warmup_bars
from engine.models.fused_step import fused_step_for
from engine.models.runtime import ModelBundle


def _percentiles(ns: list[int]) -> tuple[float, float]:
    a = np.asarray(ns, dtype=np.float64) / 1_000.0
    return float(np.percentile(a, 50)), float(np.percentile(a, 99))


def main(naive_samples: int = 2_000) -> dict:
    cfg = load_config()
    df = pd.read_csv(BTCUSDT_CSV)
    o, h, lo_, c, v = (df[k].to_numpy(np.float64) for k in ("open", "high", "low", "close", "volume"))
    bundles = {
        rt: ModelBundle.load(
            resolve_repo_path(cfg.models.dir),
            params=cfg.features,
            providers=["CPUExecutionProvider"],
            cpu_runtime=rt,
        )
        for rt in ("onnxruntime", "numba")
    }
    assert bundles["numba"].runtime == "numba", bundles["numba"].runtime_note
    policy = cfg.policy
    perf = time.perf_counter_ns

    def ensemble(p_short, p_mid, vol_z, liquidity):
        return decide(
            EnsembleInputs(
                p_short=p_short,
                p_mid=p_mid,
                ppo_hint=None,
                vol_z=vol_z,
                sentiment=0.0,
                liquidity=liquidity,
                correlation=1.0,
            ),
            policy,
            bucket_limit_pct=90.0,
        )

    def one_pass(bundle, samples):
        total, t_feat, t_model, t_ens = samples
        feats = IncrementalFeatures(cfg.features)
        for i in range(len(c)):
            t0 = perf()
            row = feats.update(o[i], h[i], lo_[i], c[i], v[i])
            t1 = perf()
            if not feats.ready:
                continue
            p_short, p_mid = bundle.predict_row(row)
            t2 = perf()
            ensemble(p_short, p_mid, feats.vol_z, feats.liquidity)
            t3 = perf()
            total.append(t3 - t0)
            t_feat.append(t1 - t0)
            t_model.append(t2 - t1)
            t_ens.append(t3 - t2)

    def fused_pass(bundle, total):
        feats = IncrementalFeatures(cfg.features)
        fused = fused_step_for(feats, bundle)
        scores = fused.scores
        bars = list(zip(o.tolist(), h.tolist(), lo_.tolist(), c.tolist(), v.tolist(), strict=True))
        for bar in bars:
            t0 = perf()
            if not fused.step(*bar):
                continue
            p_short, p_mid = scores.tolist()
            decide_parts(p_short, p_mid, None, feats.vol_z, 0.0, feats.liquidity, 1.0, policy, 90.0)
            total.append(perf() - t0)

    samples = {rt: ([], [], [], []) for rt in bundles}
    fused_total: list[int] = []
    for _ in range(2):
        for rt, bundle in bundles.items():
            one_pass(bundle, samples[rt])
        fused_pass(bundles["numba"], fused_total)
    bundle = bundles["onnxruntime"]

    window = warmup_bars(cfg.features) + 1
    naive = []
    for i in np.linspace(window, len(c) - 1, naive_samples).astype(int):
        t0 = perf()
        lo = i - window + 1
        matrix = compute_feature_matrix(
            o[lo : i + 1], h[lo : i + 1], lo_[lo : i + 1], c[lo : i + 1], v[lo : i + 1], cfg.features
        )
        p_short, p_mid = bundle.predict_row_run(matrix[-1])
        ensemble(p_short, p_mid, 0.0, 1.0)
        naive.append(perf() - t0)

    n50, n99 = _percentiles(naive)
    result = {"naive_p50_us": n50, "naive_p99_us": n99}
    for rt, (total, t_feat, t_model, t_ens) in samples.items():
        p50, p99 = _percentiles(total)
        key = "" if rt == "numba" else "ort_"
        result.update({
            f"{key}decisions": len(total),
            f"{key}p50_us": p50,
            f"{key}p99_us": p99,
            f"{key}features_p50_us": _percentiles(t_feat)[0],
            f"{key}models_p50_us": _percentiles(t_model)[0],
            f"{key}models_p99_us": _percentiles(t_model)[1],
            f"{key}ensemble_p50_us": _percentiles(t_ens)[0],
        })  # fmt: skip
        print(
            f"[b] decision latency, models on {rt:<11} over {len(total)} real BTCUSDT bars: "
            f"p50 {p50:.1f} µs, p99 {p99:.1f} µs (features {result[key + 'features_p50_us']:.1f}, models "
            f"{result[key + 'models_p50_us']:.1f} (p99 {result[key + 'models_p99_us']:.1f}), ensemble "
            f"{result[key + 'ensemble_p50_us']:.1f} µs p50)"
        )
    f50, f99 = _percentiles(fused_total)
    result.update({"fused_p50_us": f50, "fused_p99_us": f99})
    print(
        f"[b] decision latency, the strategy's fused step (features + models in one numba call, "
        f"decide_parts) over {len(fused_total)} bars: p50 {f50:.1f} µs, p99 {f99:.1f} µs"
    )
    result["ratio_naive_over_incremental_p50"] = n50 / result["p50_us"]
    print(
        f"    numba/onnxruntime: decision p50 {result['p50_us'] / result['ort_p50_us']:.2f}x, p99 "
        f"{result['p99_us'] / result['ort_p99_us']:.2f}x; models p50 "
        f"{result['models_p50_us'] / result['ort_models_p50_us']:.2f}x, p99 "
        f"{result['models_p99_us'] / result['ort_models_p99_us']:.2f}x; naive recompute-window baseline "
        f"p50 {n50:.1f} µs, p99 {n99:.1f} µs = {result['ratio_naive_over_incremental_p50']:.2f}x numba's p50"
    )
    return result


if __name__ == "__main__":
    main()
