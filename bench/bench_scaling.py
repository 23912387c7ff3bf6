"""(f) Replay throughput as instruments grow: 1, 4 and 16 synthetic instruments, two days of 1-minute
bars each (the generator's minimum), the full pipeline; the simulator on the same recordings alongside.
Ratios are against 1 instrument."""

from __future__ import annotations

import time

from aureus.paths import REPO_ROOT


def _recording(n: int, days: int):
    from adapters.synthetic import synthesize

    out = REPO_ROOT / ".cache" / f"bench-synthetic-{n}x{days}d"
    if not (out / "manifest.json").is_file():
        synthesize(7, out, days=days, n_instruments=n)
    return out


def main(instruments=(1, 4, 16), days: int = 2) -> dict:
    from adapters.recorded import open_recording
    from aureus.paths import resolve_repo_path
    from aureus.replay import feed_recording, trading_state_setter
    from aureus.runtime.backtest import build_backtest_engine
    from aureus.sim_run import load_bars
    from bench.bench_pipeline import replay_strategy
    from engine.config import load_config
    from engine.sim import build_decisions, simulate

    config = load_config(overrides=["replay.progress=false"])
    models = str(resolve_repo_path(config.models.dir))
    out = {}
    print(f"[f] replay scaling, {days} day(s) of synthetic 1m bars per instrument (bars/s; vs 1 instrument):")
    for n in instruments:
        path = _recording(n, days)
        recording = open_recording(path)
        specs = recording.manifest.instruments
        engine = build_backtest_engine(config, specs)
        strategy = replay_strategy(config, specs, news="news.scored" in recording.topics)
        engine.add_strategy(strategy)
        strategy.bind_trading_state(trading_state_setter(engine.kernel.risk_engine))
        t0 = time.perf_counter()
        seen = feed_recording(engine, recording, specs, chunk_events=config.replay.chunk_events)
        engine.end()
        replay = seen["md.bars"] / (time.perf_counter() - t0)
        bars, sspecs, news, _ = load_bars(path)
        ref = 0 if n > 1 else -1
        t0 = time.perf_counter()
        d = build_decisions(bars, config, buckets=[s.bucket for s in sspecs], models_dir=models, news=news,
                            reference=ref)  # fmt: skip
        simulate(bars, d, sspecs, config)
        sim = len(bars.ts) / (time.perf_counter() - t0)
        out[n] = (replay, sim)
        base = out[instruments[0]][0]
        print(
            f"    {n:>3} instruments, {seen['md.bars']:>6,} bars: replay {replay:>8,.0f} "
            f"({replay / base:.2f}x), sim with decisions {sim:>10,.0f} ({sim / replay:,.0f}x the replay)"
        )
    return out


if __name__ == "__main__":
    main()
