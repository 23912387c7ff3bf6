"""``engine.sim.simulator.timestamp_group_sizes`` (run lengths on sorted timestamps) against the np.unique
count it replaced, on sorted, unsorted, single and empty timestamp arrays."""

from __future__ import annotations

import numpy as np
import pytest

from engine.sim.simulator import timestamp_group_sizes


def _unique_count(ts: np.ndarray) -> np.ndarray:
    _, group_of, group_size = np.unique(ts, return_inverse=True, return_counts=True)
    return group_size[group_of]


@pytest.mark.parametrize("seed", range(6))
def test_group_sizes_equal_the_unique_count(seed):
    rng = np.random.default_rng(seed)
    ts = np.sort(rng.integers(0, 40, size=200)) * 60_000_000_000
    for case in (ts, ts[::-1].copy(), rng.permutation(ts), ts[:1], ts[:0], np.unique(ts)):
        got = timestamp_group_sizes(case)
        assert got.dtype.kind == "i" and np.array_equal(got, _unique_count(case))
