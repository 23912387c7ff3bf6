"""The portfolio step's bookkeeping share of the replay loop, from a py-spy ``--native`` raw profile.

Usage::

    uv run python -m bench.profile_book prof.txt [--us-per-bar 50]

A sample in the loop (under ``aureus.replay._run_chunk``) is *bookkeeping* when it is inside the strategy's
``on_bar`` (or a timer callback that runs the step) but not inside the decision path: the feature update
(or the fused feature and model step), the batch scoring and ``_decide_and_act``. Nautilus work that the
bookkeeping asks for (account, positions, timers) counts as bookkeeping here. With ``--us-per-bar`` (the
replay's CPU µs per bar, from ``bench.bench_bar_cpu``) the shares are also given in µs per bar.
"""

from __future__ import annotations

import argparse
import collections

from bench.profile_shares import loop_samples

_STRATEGY = ("MetaEnsembleStrategy.on_bar ", "MetaEnsembleStrategy._grace_passed ")
_DECISION = (
    "EntryMixin._decide_and_act ",
    "MetaEnsembleStrategy._score_ready ",
    "IncrementalFeatures.update ",
    "IncrementalCorrelation.update ",
    "FusedBarStep.step ",  # features and models in one numba call (decide's fused step)
    "FusedBarStep.mask ",
)


def split(path: str, top: int = 25) -> dict:
    """Samples of the loop, of the strategy, of its decision path and of its bookkeeping, with the
    bookkeeping's top functions (inclusive)."""
    loop = strategy = decision = 0
    inclusive: collections.Counter[str] = collections.Counter()
    for frames, n in loop_samples(path):
        loop += n
        at = next((i for i, fr in enumerate(frames) if fr.startswith(_STRATEGY)), None)
        if at is None:
            continue
        strategy += n
        if any(fr.startswith(_DECISION) for fr in frames[at:]):
            decision += n
            continue
        for name in {fr.split(" (")[0] for fr in frames[at:]}:
            inclusive[name] += n
    return {
        "loop": loop,
        "strategy": strategy,
        "decision": decision,
        "bookkeeping": strategy - decision,
        "top": inclusive.most_common(top),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("profile")
    parser.add_argument("--us-per-bar", type=float, default=0.0)
    args = parser.parse_args()
    out = split(args.profile)
    loop, us = out["loop"], args.us_per_bar

    def fmt(n: int) -> str:
        share = 100.0 * n / loop if loop else 0.0
        return f"{share:5.1f} %" + (f"  {share * us / 100.0:5.1f} µs/bar" if us else "")

    print(f"samples in the replay loop: {loop}")
    for key in ("strategy", "decision", "bookkeeping"):
        print(f"  {key:<12} {fmt(out[key])}")
    print("bookkeeping, top inclusive:")
    for name, n in out["top"]:
        print(f"  {fmt(n)}  {name}")


if __name__ == "__main__":
    main()
