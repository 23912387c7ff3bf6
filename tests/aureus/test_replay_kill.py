"""SIGKILL at several points of a replay always leaves ``--out`` holding one complete run.

Each replay is a real ``python -m aureus replay`` subprocess. Kills happen at fractions of a full run's
duration and the moment given files appear in the new run directory (state written, report written,
completion marker written but not yet linked). After every kill ``--out`` must hold either the previous
run, byte for byte, or a complete new one (``complete.json``, and the new config's hash).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from aureus.paths import REPO_ROOT

NEW_RUN = ("--set", "policy.thresholds.buy=0.6")


def _replay(rec: Path, out: Path, *extra: str) -> subprocess.Popen:
    args = [sys.executable, "-m", "aureus", "replay", "--data", str(rec), "--out", str(out), "--no-progress"]
    return subprocess.Popen([*args, *extra], cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _snapshot(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}


def _kill_when(proc: subprocess.Popen, ready, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        if ready():
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.005)
    proc.wait()


def _staged(out: Path, name: str):
    runs = out.parent / f".{out.name}.runs"
    current = os.path.realpath(out)
    return lambda: any((p / name).exists() for p in runs.glob("run-*") if str(p) != current)


@pytest.mark.slow
def test_sigkill_never_leaves_a_partial_run(tmp_path: Path) -> None:
    from adapters.synthetic import synthesize

    rec, out = tmp_path / "rec", tmp_path / "runs" / "latest"
    synthesize(5, rec, days=2, n_instruments=1)
    started = time.monotonic()
    first = _replay(rec, out)
    assert first.wait() == 0, first.stderr.read().decode()
    duration = time.monotonic() - started
    previous = _snapshot(out)
    assert json.loads(previous["complete.json"])["complete"] is True
    first_hash = json.loads(previous["report.json"])["config_hash"]

    def after(fraction: float):
        def make():
            begun = time.monotonic()
            return lambda: time.monotonic() - begun > fraction * duration

        return make

    def staged(name: str):
        return lambda: _staged(out, name)

    points = [after(f) for f in (0.3, 0.7, 0.9)] + [
        staged(n) for n in ("state", "report.json", "complete.json")
    ]
    outcomes = []
    for make_ready in points:
        proc = _replay(rec, out, *NEW_RUN)
        _kill_when(proc, make_ready())
        now = _snapshot(out)
        if now == previous:
            outcomes.append("previous")
            continue
        assert json.loads(now["complete.json"])["complete"] is True, proc.returncode
        report = json.loads(now["report.json"])
        assert report["config_hash"] != first_hash  # the new run's, whichever kill left it in place
        assert (out / "state" / "risk.state").is_file()
        outcomes.append("new")
        previous = now
    assert "previous" in outcomes  # at least one kill landed before the swap
