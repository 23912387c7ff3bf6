"""``make bench``: every benchmark prints a ratio against a baseline measured in the same invocation."""

from __future__ import annotations

from bench import (
    bench_kafka,
    bench_kernels,
    bench_latency,
    bench_onnx,
    bench_peers,
    bench_pipeline,
    bench_risk,
    bench_scaling,
    bench_sentiment,
    bench_share,
)


def main() -> None:
    print("== Aureus benchmarks (ratios are measured within this run; absolute numbers vary by machine) ==")
    bench_pipeline.main()
    latency = bench_latency.main()
    bench_risk.main(decision_p50_us=latency["p50_us"])
    bench_sentiment.main()
    print("[c] numba batch kernels vs TA-Lib / pandas:")
    bench_kernels.main()  # called, not run as a script: its SystemExit ended `make bench` here
    bench_kafka.main()
    bench_peers.main()
    bench_scaling.main()
    bench_onnx.main()
    bench_share.main()


if __name__ == "__main__":
    main()
