"""Where the simulator's full recompute spends its time, against vectorbt, on the real BTCUSDT bars.

``uv run python -m bench.sim_breakdown [rounds]``: per round (interleaved, best of 5 each) the feature
kernel (one pass; and the two passes ``build_decisions`` used to make), the tree batch (the batch layout
on 1 and 2 threads; and the row kernel it replaced), the rest of ``build_decisions`` (context, ensemble,
glue), the execution kernel, the whole ``simulate(bars, build_decisions(...))`` and vectorbt's
``from_signals`` EMA cross exactly as ``bench_peers`` times it. Milliseconds of wall time and of process
CPU time (less disturbed by other work on a shared machine); ranges over the rounds.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from bench.common import best_of, btcusdt_recording

VBT = "vectorbt from_signals"
REST = "rest of build_decisions (context, ensemble, glue)"


def _best_cpu(fn, repeats: int) -> float:
    return best_of(fn, repeats, clock=time.process_time)


def main(rounds: int = 3) -> dict[str, list[float]]:
    from aureus.paths import resolve_repo_path
    from aureus.sim_run import load_bars
    from bench.bench_peers import _bars, vectorbt_bars_per_s
    from engine.config import load_config
    from engine.features.vector import _new_state, compute_feature_matrix, compute_features_and_extras
    from engine.features.vector_kernel import features_batch
    from engine.models.runtime import ModelBundle
    from engine.sim import build_decisions, simulate

    config = load_config(overrides=["replay.progress=false"])
    threaded = load_config(overrides=["replay.progress=false", "models.batch_threads=2"])
    bars, specs, _, _ = load_bars(btcusdt_recording())
    models = str(resolve_repo_path(config.models.dir))
    buckets = [s.bucket for s in specs]
    bundle = ModelBundle.load(models, params=config.features, providers=["CPUExecutionProvider"])
    trees = bundle.evaluator.trees
    args = (bars.open, bars.high, bars.low, bars.close, bars.volume, config.features)
    features = compute_feature_matrix(*args)
    rows = np.ascontiguousarray(features[np.isfinite(features).all(axis=1)])
    df = _bars()
    n = len(bars.ts)

    def step_kernel():  # what compute_feature_matrix / compute_feature_extras each ran before
        matrix, extras = np.empty((n, 11)), np.empty((n, 4))
        features_batch(_new_state(config.features), *args[:5], matrix, extras)

    def decide(cfg):
        return build_decisions(bars, cfg, buckets=buckets, models_dir=models, models=bundle)

    decisions = decide(config)
    for cfg in (config, threaded):  # compile / load every kernel once
        simulate(bars, decide(cfg), specs, cfg)
    timings: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}
    for _ in range(rounds):
        step = {
            "features, one pass": lambda: compute_features_and_extras(*args),
            "features, two passes of the step kernel (before)": lambda: (step_kernel(), step_kernel()),
            "trees, batch layout (1 thread)": lambda: trees.predict_batch(rows, 1),
            "trees, batch layout (2 threads)": lambda: trees.predict_batch(rows, 2),
            "trees, row kernel (before)": lambda: trees.predict_batch_rowwise(rows),
            "build_decisions (1 thread)": lambda: decide(config),
            "execution kernel": lambda: simulate(bars, decisions, specs, config),
            "full recompute (1 thread)": lambda: simulate(bars, decide(config), specs, config),
            "full recompute (2 threads)": lambda: simulate(bars, decide(threaded), specs, threaded),
        }
        for name, fn in step.items():
            timings.setdefault(name, []).append(1e3 * best_of(fn, 5))
            cpu.setdefault(name, []).append(1e3 * _best_cpu(fn, 5))
        # bench_peers' own timing (a warm-up call, then best of 5); CPU: its warm-up + one timed call, / 2
        timings.setdefault(VBT, []).append(1e3 * len(df) / vectorbt_bars_per_s(df, 5)[0])
        cpu.setdefault(VBT, []).append(1e3 * _best_cpu(lambda: vectorbt_bars_per_s(df, 1), 5) / 2)
    for t in (timings, cpu):
        t[REST] = [
            d - f - m
            for d, f, m in zip(
                t["build_decisions (1 thread)"], t["features, one pass"], t["trees, batch layout (1 thread)"],
                strict=True,
            )
        ]  # fmt: skip
    print(f"[sim breakdown] {n:,} BTCUSDT 1m bars, {len(rows):,} rows scored; best of 5, {rounds} rounds, ms")
    print(f"    {'':<52} {'wall min – max':>19}   {'CPU min – max':>19}")
    for name, values in timings.items():
        c = cpu[name]
        print(f"    {name:<52} {min(values):8.2f} – {max(values):8.2f}   {min(c):8.2f} – {max(c):8.2f}")
    for label in ("full recompute (1 thread)", "full recompute (2 threads)"):
        for kind, t in (("wall", timings), ("CPU", cpu)):
            ratios = [v / f for v, f in zip(t[VBT], t[label], strict=True)]
            print(f"    {label} / vectorbt, {kind}: " + ", ".join(f"{r:.2f}" for r in ratios))
    print("    (CPU time of 2 threads is both threads' sum: its CPU ratio is not a speed)")
    return timings


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
