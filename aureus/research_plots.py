"""Reliability diagrams and lift curves of out-of-sample predictions, as PNG files (matplotlib, Agg)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 - the backend must be chosen first
import numpy as np  # noqa: E402

from engine.research.calibration import REGIMES  # noqa: E402
from engine.research.metrics import ece_bins, lift_curve  # noqa: E402

# no Software/date chunks: the same predictions give the same PNG bytes
_PNG_META = {"Software": None}


def reliability_png(
    path: Path, title: str, labels: np.ndarray, raw: np.ndarray, cal: np.ndarray, regimes: np.ndarray
) -> None:
    """Observed rate against mean predicted probability per bin: raw and calibrated, all and per regime."""
    fig, axes = plt.subplots(1, 4, figsize=(16, 4), sharey=True)
    groups = [("all", np.ones(labels.size, dtype=bool))] + [
        (name, regimes == r) for r, name in enumerate(REGIMES)
    ]
    for ax, (name, mask) in zip(axes, groups, strict=True):
        ax.plot([0, 1], [0, 1], color="grey", linewidth=0.8, linestyle="--")
        for series, label, marker in ((raw, "raw", "o"), (cal, "calibrated", "s")):
            count, mean_p, rate = ece_bins(labels[mask], series[mask])
            used = count > 0
            ax.plot(mean_p[used], rate[used], marker=marker, label=label)
        ax.set_title(f"{name} (n={int(mask.sum())})")
        ax.set_xlabel("mean predicted probability")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
    axes[0].set_ylabel("observed positive rate")
    axes[0].legend(loc="upper left")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=80, metadata=_PNG_META)
    plt.close(fig)


def lift_png(path: Path, title: str, labels: np.ndarray, cal: np.ndarray, regimes: np.ndarray) -> None:
    """Lift (positive rate in the top fraction over the base rate) against the fraction taken."""
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.axhline(1.0, color="grey", linewidth=0.8, linestyle="--")
    groups = [("all", np.ones(labels.size, dtype=bool))] + [
        (name, regimes == r) for r, name in enumerate(REGIMES)
    ]
    for name, mask in groups:
        if mask.sum() == 0 or labels[mask].sum() == 0:
            continue
        fractions, lift = lift_curve(labels[mask], cal[mask])
        ax.plot(fractions, lift, marker=".", label=name)
    ax.set_xlabel("fraction taken (top by calibrated probability)")
    ax.set_ylabel("lift")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=80, metadata=_PNG_META)
    plt.close(fig)
