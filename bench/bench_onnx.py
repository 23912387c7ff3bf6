"""(g) Model inference: the shipped tree models as ``TreeEnsembleClassifier`` (onnxruntime runs it on the
CPU in any session) against the same trees as tensor operations (``engine.models.tree_tensor``, the graph
the CUDA provider can run), single row and a 30k-row batch, with the provider that ran each node; and
the numba evaluator compiled from the same ONNX files (``engine.models.tree_numba``) in each layout,
per model and for the bundle of both, with onnxruntime's merged bundle session as its baseline.

Only the CPU provider is measured here unless onnxruntime reports CUDA available: on the machines this
was written on no GPU was lent, so no GPU number exists."""

from __future__ import annotations

import time

import numpy as np
import onnx
import onnxruntime as ort

from aureus.paths import REPO_ROOT


def _features() -> np.ndarray:
    import pandas as pd

    from bench.common import BTCUSDT_CSV
    from engine.features.vector import FeatureParams, compute_feature_matrix

    df = pd.read_csv(BTCUSDT_CSV)
    x = compute_feature_matrix(df.open, df.high, df.low, df.close, df.volume, FeatureParams())
    return np.ascontiguousarray(x[np.isfinite(x).all(axis=1)], dtype=np.float32)


def _session(model_bytes: bytes, providers) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.log_severity_level = 3
    return ort.InferenceSession(model_bytes, options, providers=providers)


def _row_us(session, x, n: int = 2000) -> tuple[float, float]:
    row = x[:1]
    session.run(["probabilities"], {"features": row})
    times = np.empty(n)
    for i in range(n):
        r = x[i % len(x) : i % len(x) + 1]
        t0 = time.perf_counter()
        session.run(["probabilities"], {"features": r})
        times[i] = time.perf_counter() - t0
    return float(np.percentile(times, 50) * 1e6), float(np.percentile(times, 99) * 1e6)


def main() -> dict:
    from engine.models.tree_tensor import convert_tree_ensemble, executed_providers

    x = _features()
    provider_sets = [["CPUExecutionProvider"]]
    if "CUDAExecutionProvider" in ort.get_available_providers():
        provider_sets.append(["CUDAExecutionProvider", "CPUExecutionProvider"])
    print(f"[g] ONNX inference, {len(x):,} real BTCUSDT feature rows (single row p50/p99 us; batch rows/s):")
    out = {}
    for providers in provider_sets:
        for name in ("p_short", "p_mid"):
            tree = (REPO_ROOT / "models" / "baseline" / f"{name}.onnx").read_bytes()
            tensor = convert_tree_ensemble(onnx.load_from_string(tree)).SerializeToString()
            for kind, blob in (("tree ensemble", tree), ("tensor graph", tensor)):
                s = _session(blob, providers)
                p50, p99 = _row_us(s, x)
                t0 = time.perf_counter()
                s.run(["probabilities"], {"features": x})
                batch = len(x) / (time.perf_counter() - t0)
                placed = executed_providers(blob, providers, x[:8])
                where = sorted(set(placed.values()))
                out[(providers[0], name, kind)] = (p50, p99, batch)
                print(f"    {providers[0]:<22} {name:<8} {kind:<14} row p50 {p50:7.1f} p99 {p99:7.1f} us, "
                      f"batch {batch:>10,.0f} rows/s; nodes ran on {where}")  # fmt: skip
    if len(provider_sets) == 1:
        print("    GPU: not measured (onnxruntime reports no CUDA provider on this machine)")
    out.update(_numba_rows(x))
    return out


def _numba_rows(x: np.ndarray, n: int = 2000) -> dict:
    """The numba evaluator per layout vs onnxruntime's merged session, both models, single row and batch."""
    from engine.features.vector import FeatureParams
    from engine.models.runtime import ModelBundle
    from engine.models.tree_numba import TreeBundleEvaluator
    from engine.models.tree_program import compile_tree_model

    x64 = x.astype(np.float64)
    ort_bundle = ModelBundle.load(
        REPO_ROOT / "models" / "baseline",
        params=FeatureParams(),
        providers=["CPUExecutionProvider"],
        cpu_runtime="onnxruntime",
    )
    programs = [
        compile_tree_model((REPO_ROOT / "models" / "baseline" / f"{m}.onnx").read_bytes(), "probabilities", 1)
        for m in ("p_short", "p_mid")
    ]
    runners = {"onnxruntime merged session": (ort_bundle.predict_row, ort_bundle.predict_batch)}
    scores = np.zeros(2)
    for method in ("walk", "quickscorer", "bins"):
        ev = TreeBundleEvaluator(programs, x.shape[1], method=method)
        runners[f"numba {method}"] = (lambda r, ev=ev: ev.predict_row_into(r, scores), ev.predict_batch)
    want = ort_bundle.predict_batch(x64)
    out = {}
    print("    both models (p_short + p_mid) per call, float64 rows (single row p50/p99 us; batch rows/s):")
    for name, (row_fn, batch_fn) in runners.items():
        assert np.array_equal(batch_fn(x64), want), name  # the same scores, bit for bit
        times = np.empty(n)
        for i in range(n):
            r = x64[i % len(x64)]
            t0 = time.perf_counter()
            row_fn(r)
            times[i] = time.perf_counter() - t0
        t0 = time.perf_counter()
        batch_fn(x64)
        batch = len(x64) / (time.perf_counter() - t0)
        p50, p99 = float(np.percentile(times, 50) * 1e6), float(np.percentile(times, 99) * 1e6)
        out[("bundle", name)] = (p50, p99, batch)
        print(f"    {name:<28} row p50 {p50:7.1f} p99 {p99:7.1f} us, batch {batch:>10,.0f} rows/s")
    base = out[("bundle", "onnxruntime merged session")]
    best = out[("bundle", "numba bins")]
    print(
        f"    numba bins / onnxruntime: row p50 {base[0] / best[0]:.1f}x faster, p99 "
        f"{base[1] / best[1]:.1f}x, batch {best[2] / base[2]:.1f}x"
    )
    return out


if __name__ == "__main__":
    main()
