"""(p) Our share of the replay loop: everything outside Nautilus, from pooled py-spy ``--native`` profiles.

Issue 12 asks that the strategy's own work (our Python, numba, numpy, msgspec: everything that is not
Nautilus) stay at or under 25 % of the replay loop. One profile at 40 Hz holds only ~60-90 loop samples
of a BTCUSDT replay, so this runs ``aureus replay`` on the real BTCUSDT bars several times under py-spy,
pools the raw stacks and splits them with :mod:`bench.profile_shares` (the ratio: our samples over the
loop's, both from the same runs). It prints the pooled share, the share of each half of the runs (their
gap shows the sampling noise) and each run's own.

Usage::

    uv run python -m bench.bench_share [--runs 12] [--rate 40]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.common import btcusdt_recording
from bench.profile_shares import outside_nautilus

GOAL = 0.25


def _py_spy() -> str | None:
    here = Path(sys.executable).with_name("py-spy")
    return str(here) if here.is_file() else shutil.which("py-spy")


def _record(py_spy: str, recording: Path, out: Path, rate: int) -> str:
    """One profiled replay; the raw stacks' text."""
    raw = out / "prof.txt"
    command = [py_spy, "record", "--native", "-r", str(rate), "-f", "raw", "-o", str(raw), "--"]
    command += [sys.executable, "-m", "aureus", "replay", "--data", str(recording), "--out", str(out / "run")]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0 or not raw.is_file():
        raise RuntimeError(f"py-spy run failed (exit {done.returncode}): {done.stderr.strip()[-400:]}")
    return raw.read_text(encoding="utf-8")


def _share(text: str, tmp: Path) -> float:
    path = tmp / "pool.txt"
    path.write_text(text, encoding="utf-8")
    return outside_nautilus(str(path))[0]


def main(runs: int = 8, rate: int = 40) -> dict | None:
    print(f"[p] our share of the BTCUSDT replay loop (outside Nautilus), {runs} py-spy runs at {rate} Hz:")
    if runs < 2:
        raise ValueError(f"runs must be >= 2 (two halves), got {runs}")
    py_spy = _py_spy()
    if py_spy is None:
        print("    skipped: py-spy is not installed (it is in the bench dependency group: uv sync)")
        return None
    recording = btcusdt_recording()
    with tempfile.TemporaryDirectory(prefix="aureus-share-") as tmp_dir:
        tmp = Path(tmp_dir)
        profiles, each = [], []
        for i in range(runs):
            run_dir = tmp / f"run-{i}"
            run_dir.mkdir()
            try:
                profiles.append(_record(py_spy, recording, run_dir, rate))
            except RuntimeError as err:  # e.g. ptrace not permitted in a container
                print(f"    skipped: {err}")
                return None
            each.append(_share(profiles[-1], tmp))
            print(f"    run {i + 1}/{runs}: {100 * each[-1]:.1f} %", flush=True)
        half = runs // 2
        pooled = _share("".join(profiles), tmp)
        halves = (_share("".join(profiles[:half]), tmp), _share("".join(profiles[half:]), tmp))
    verdict = "met" if pooled <= GOAL else "NOT met"
    print(
        f"    pooled {100 * pooled:.1f} % (goal <= {100 * GOAL:.0f} %: {verdict}); halves "
        f"{100 * halves[0]:.1f} % / {100 * halves[1]:.1f} %"
    )
    return {"pooled": pooled, "halves": halves, "runs": each}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--rate", type=int, default=40)
    args = parser.parse_args()
    main(args.runs, args.rate)
