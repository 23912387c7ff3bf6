"""(g) Model inference: the shipped tree models as ``TreeEnsembleClassifier`` (onnxruntime runs it on the
CPU in any session) against the same trees as tensor operations (``engine.models.tree_tensor``, the graph
the CUDA provider can run), single row and a 30k-row batch, with the provider that ran each node.

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
    return out


if __name__ == "__main__":
    main()
