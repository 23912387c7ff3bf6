"""Independent ECE from an ``oos_predictions.csv``: pandas only, no project code.

Usage: ``python tests/aureus/ece_check.py DIR/oos_predictions.csv`` prints ``ece_raw ece_cal``.
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd


def expected_calibration_error(labels: pd.Series, prob: pd.Series, bins: int = 10) -> float:
    # bins [0, 0.1), ..., [0.9, 1.0]: a probability of exactly 1 belongs to the last bin
    edges = np.linspace(0.0, 1.0, bins + 1)
    cut = pd.cut(prob.clip(upper=np.nextafter(1.0, 0.0)), edges, right=False)
    frame = pd.DataFrame({"bin": cut, "y": labels, "p": prob})
    grouped = frame.groupby("bin", observed=True).agg(n=("y", "size"), y=("y", "mean"), p=("p", "mean"))
    return float((grouped["n"] / len(frame) * (grouped["y"] - grouped["p"]).abs()).sum())


def main(path: str) -> tuple[float, float]:
    frame = pd.read_csv(path)
    return (
        expected_calibration_error(frame["label"], frame["prob_raw"]),
        expected_calibration_error(frame["label"], frame["prob_cal"]),
    )


if __name__ == "__main__":
    print(*main(sys.argv[1]))
