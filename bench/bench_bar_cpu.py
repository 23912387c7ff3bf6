"""CPU time per bar of ``aureus replay``'s strategy against Nautilus's do-nothing floor, same process.

Usage::

    uv run python -m bench.bench_bar_cpu [REC] [--rounds N]

Each round runs the do-nothing strategy, then the replay strategy (state store and escalation sink in, as
``aureus replay`` builds it) on the same recording (default: the real BTCUSDT bars), interleaved so drift
on a shared machine hits both alike. Process CPU time, not wall time: other engineers' load on the
machine counts less. Prints µs per bar of each, and the replay's excess over the floor.
"""

from __future__ import annotations

import argparse
import gc
import time
from pathlib import Path

from adapters.recorded import open_recording
from aureus.runtime.backtest import bar_type_for
from bench.bench_pipeline import NullStrategy, NullStrategyConfig, _run, replay_strategy
from bench.common import btcusdt_recording
from engine.config import load_config


def _cpu_run(config, recording, specs, strategy) -> tuple[float, int]:
    gc.collect()
    t0 = time.process_time()
    _, events = _run(config, recording, specs, strategy)
    return time.process_time() - t0, events


def main(recording_dir: Path | None = None, rounds: int = 2) -> list[dict]:
    config = load_config(overrides=["replay.progress=false"])
    recording = open_recording(recording_dir or btcusdt_recording())
    specs = recording.manifest.instruments
    bar_types = tuple(str(bar_type_for(s)) for s in specs)
    out = []
    for i in range(rounds):
        null = NullStrategy(NullStrategyConfig(bar_types=bar_types))
        floor, bars = _cpu_run(config, recording, specs, null)
        full, _ = _cpu_run(config, recording, specs, replay_strategy(config, specs))
        row = {"round": i + 1, "bars": bars, "floor_us": floor / bars * 1e6, "replay_us": full / bars * 1e6}
        row["excess_us"] = row["replay_us"] - row["floor_us"]
        out.append(row)
        print(
            f"round {row['round']}: {bars} bars, floor {row['floor_us']:.1f} µs/bar, replay "
            f"{row['replay_us']:.1f} µs/bar, replay - floor {row['excess_us']:.1f} µs/bar, "
            f"floor/replay {row['floor_us'] / row['replay_us']:.3f}",
            flush=True,
        )
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("recording", nargs="?", type=Path)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    main(args.recording, args.rounds)
