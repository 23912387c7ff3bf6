"""Share of the replay loop by component, from a py-spy ``--native`` raw profile.

Usage::

    uvx py-spy record --native -r 150 -f raw -o prof.txt -- \
        .venv/bin/python -m aureus replay --data REC --out RUN
    uv run python -m bench.profile_shares prof.txt

Only samples inside the engine's run (under ``aureus.replay._run_chunk``) count. Each is attributed to the
component owning its innermost frame: nautilus (its Cython modules or Python), onnxruntime, numba,
numpy, msgspec, ours (engine/, strategies/, adapters/, aureus/, schemas/). Interpreter, libc, GC and stdlib
frames have no owner: they are charged to the nearest owned frame above them (the code that called them).
"""

from __future__ import annotations

import collections
import re
import sys

_OURS = re.compile(r"(^|/)(engine|strategies|aureus|adapters|schemas|bench)/")
_LIBS = (
    ("nautilus_trader", "nautilus"),
    ("onnxruntime", "onnxruntime"),
    ("numba", "numba"),
    ("llvmlite", "numba"),
    ("numpy", "numpy"),
    ("msgspec", "msgspec"),
)


def owner(frame: str) -> str | None:
    """The component of one py-spy frame ``name (file:line)``; ``None`` for the interpreter and stdlib."""
    match = re.search(r"\(([^()]*?)(?::\d+)?\)$", frame)
    path = match.group(1) if match else frame
    for needle, name in _LIBS:
        if needle in path:
            return name
    if _OURS.search(path):
        return "ours"
    return "other libs" if "site-packages" in path else None


def loop_samples(path: str):
    """Yield ``(frames, count)`` for each raw py-spy stack inside the engine's run; ``frames`` starts at
    ``_run_chunk``."""
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip()
            if not line:
                continue
            stack, count = line.rsplit(" ", 1)
            frames = stack.split(";")
            start = next((i for i, fr in enumerate(frames) if "_run_chunk" in fr), None)
            if start is not None:
                yield frames[start:], int(count)


_ONE_TIME = ("MetaEnsembleStrategy.on_start ", "MetaEnsembleStrategy.on_stop ")


def outside_nautilus(path: str) -> tuple[float, float]:
    """Share of the loop outside Nautilus: over every sample, and over the per-bar samples only.

    The engine's first run starts the strategy (model loading in ``on_start``) and its last one stops it;
    both happen once inside ``_run_chunk``, so the second figure leaves those samples out."""
    counts = collections.Counter()
    for frames, n in loop_samples(path):
        owned = next((o for o in map(owner, reversed(frames[1:])) if o), "unattributed")
        once = any(fr.startswith(_ONE_TIME) for fr in frames)
        counts[("all", owned == "nautilus")] += n
        if not once:
            counts[("per_bar", owned == "nautilus")] += n

    def share(kind: str) -> float:
        total = counts[(kind, True)] + counts[(kind, False)]
        return counts[(kind, False)] / total if total else float("nan")

    return share("all"), share("per_bar")


def shares(path: str, top: int = 15) -> None:
    """Print the loop's share per component, the top self-time frames and our top inclusive functions."""
    total = 0
    by_owner: collections.Counter[str] = collections.Counter()
    self_time: collections.Counter[tuple[str, str]] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    for frames, n in loop_samples(path):
        loop = frames[1:]
        total += n
        name, where = "unattributed", ""
        for frame in reversed(loop):
            found = owner(frame)
            if found:
                name, where = found, frame
                break
        by_owner[name] += n
        self_time[(name, where[:100])] += n
        seen = set()
        for frame in loop:
            if owner(frame) == "ours":
                key = re.sub(r":\d+\)$", ")", frame)[:100]
                if key not in seen:
                    inclusive[key] += n
                    seen.add(key)
    print(f"samples in the replay loop: {total}")
    for name, n in by_owner.most_common():
        print(f"  {name:14s} {100 * n / total:5.1f} %")
    every, per_bar = outside_nautilus(path)
    print(f"outside Nautilus: {100 * every:.1f} % of the loop, {100 * per_bar:.1f} % without start/stop")
    print("top self time (with the stdlib, interpreter and GC time it causes):")
    for (name, frame), n in self_time.most_common(top):
        print(f"  {100 * n / total:5.1f} %  [{name}] {frame}")
    print("top inclusive, our functions:")
    for frame, n in inclusive.most_common(top):
        print(f"  {100 * n / total:5.1f} %  {frame}")


if __name__ == "__main__":
    shares(sys.argv[1])
