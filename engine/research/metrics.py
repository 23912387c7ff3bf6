"""Out-of-sample metrics of probabilities: AUC, Brier, ECE, lift, coverage, PSI, deflated Sharpe.

ECE is the expected calibration error over 10 equal-width bins on ``[0, 1]``:
``sum_b (n_b / N) * |mean(label_b) - mean(prob_b)|`` with bins ``[0, .1), [.1, .2), ..., [.9, 1]``
whose edges are ``numpy.linspace(0, 1, 11)``.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats
from sklearn import metrics as skm

ECE_BINS = 10
EULER_GAMMA = 0.5772156649015329


def ece_bins(labels: np.ndarray, prob: np.ndarray, n_bins: int = ECE_BINS) -> tuple[np.ndarray, ...]:
    """Per-bin ``(count, mean prob, observed rate)`` over ``n_bins`` equal-width bins (NaN when empty)."""
    prob = np.asarray(prob, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.float64)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    idx = np.clip(np.searchsorted(edges, prob, side="right") - 1, 0, n_bins - 1)
    count = np.bincount(idx, minlength=n_bins).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_p = np.bincount(idx, weights=prob, minlength=n_bins) / count
        rate = np.bincount(idx, weights=labels, minlength=n_bins) / count
    return count, mean_p, rate


def ece(labels: np.ndarray, prob: np.ndarray, n_bins: int = ECE_BINS) -> float:
    """Expected calibration error over ``n_bins`` equal-width bins (see the module docstring)."""
    count, mean_p, rate = ece_bins(labels, prob, n_bins)
    total = count.sum()
    if total == 0:
        return float("nan")
    used = count > 0
    return float(np.sum(count[used] / total * np.abs(rate[used] - mean_p[used])))


def lift_at(labels: np.ndarray, prob: np.ndarray, fraction: float = 0.10) -> float:
    """Positive rate among the top ``fraction`` of rows by probability, over the overall positive rate.

    Ties are broken by row order (stable sort), so the result is deterministic.
    """
    labels = np.asarray(labels, dtype=np.float64)
    base = labels.mean() if labels.size else 0.0
    if base == 0.0:
        return float("nan")
    k = max(1, int(math.ceil(labels.size * fraction)))
    top = np.argsort(-np.asarray(prob, dtype=np.float64), kind="stable")[:k]
    return float(labels[top].mean() / base)


def lift_curve(labels: np.ndarray, prob: np.ndarray, points: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """Lift at ``points`` equally spaced top fractions ``1/points .. 1``."""
    fractions = np.arange(1, points + 1) / points
    return fractions, np.array([lift_at(labels, prob, f) for f in fractions])


def binary_metrics(
    labels: np.ndarray, prob: np.ndarray, *, gate: float | None = None
) -> dict[str, float | int | None]:
    """AUC, Brier, ECE, lift@10%, base rate, rows, and coverage / precision at ``gate`` if given.

    AUC is None when the labels hold a single class; everything is None on an empty set.
    """
    labels = np.asarray(labels, dtype=np.int64)
    prob = np.asarray(prob, dtype=np.float64)
    n = int(labels.size)
    out: dict[str, float | int | None] = {"n": n}
    if n == 0:
        out.update(auc=None, brier=None, ece=None, lift_at_10pct=None, base_rate=None)
        return out
    out["auc"] = float(skm.roc_auc_score(labels, prob)) if np.unique(labels).size == 2 else None
    out["brier"] = float(np.mean((prob - labels) ** 2))
    out["ece"] = ece(labels, prob)
    out["lift_at_10pct"] = lift_at(labels, prob, 0.10)
    out["base_rate"] = float(labels.mean())
    if gate is not None:
        taken = prob >= gate
        out["coverage"] = float(taken.mean())
        out["precision_at_gate"] = float(labels[taken].mean()) if taken.any() else None
    return out


def psi(expected: np.ndarray, actual: np.ndarray, n_bins: int = 10) -> float:
    """Population stability index of ``actual`` against ``expected``, on the expected's decile edges.

    Empty bins are floored at 1e-4 of the mass so the logarithm stays finite.
    """
    expected = np.asarray(expected, dtype=np.float64)
    actual = np.asarray(actual, dtype=np.float64)
    expected = expected[np.isfinite(expected)]
    actual = actual[np.isfinite(actual)]
    if expected.size == 0 or actual.size == 0:
        return float("nan")
    edges = np.unique(np.quantile(expected, np.linspace(0, 1, n_bins + 1)[1:-1]))
    e = np.bincount(np.searchsorted(edges, expected, side="right"), minlength=edges.size + 1) / expected.size
    a = np.bincount(np.searchsorted(edges, actual, side="right"), minlength=edges.size + 1) / actual.size
    e = np.maximum(e, 1e-4)
    a = np.maximum(a, 1e-4)
    return float(np.sum((a - e) * np.log(a / e)))


def deflated_sharpe(
    returns: np.ndarray, n_trials: int, sharpe_variance: float | None = None
) -> dict[str, float]:
    """Deflated Sharpe ratio (Bailey & López de Prado, 2014) of per-period ``returns``.

    The probability that the true Sharpe exceeds the best Sharpe expected from ``n_trials``
    independent tries of a strategy with no skill. ``sharpe_variance`` is the variance of the
    Sharpe estimates across the trials; when unknown, the estimator's own variance is used.

    Returns
    -------
    dict
        ``sharpe`` (per period), ``sharpe_threshold`` (expected max under the null), ``dsr``,
        ``n_trials``, ``n_obs``.
    """
    r = np.asarray(returns, dtype=np.float64)
    r = r[np.isfinite(r)]
    t = r.size
    if t < 3 or r.std(ddof=1) == 0.0:
        return {
            "sharpe": float("nan"),
            "sharpe_threshold": float("nan"),
            "dsr": float("nan"),
            "n_trials": n_trials,
            "n_obs": t,
        }
    sr = float(r.mean() / r.std(ddof=1))
    skew = float(stats.skew(r))
    kurt = float(stats.kurtosis(r, fisher=False))
    denom = 1.0 - skew * sr + (kurt - 1.0) / 4.0 * sr * sr
    var = sharpe_variance if sharpe_variance is not None else denom / (t - 1)
    n = max(1, int(n_trials))
    if n == 1:
        threshold = 0.0
    else:
        threshold = math.sqrt(var) * (
            (1 - EULER_GAMMA) * stats.norm.ppf(1 - 1 / n) + EULER_GAMMA * stats.norm.ppf(1 - 1 / (n * math.e))
        )
    dsr = float(stats.norm.cdf((sr - threshold) * math.sqrt(t - 1) / math.sqrt(max(denom, 1e-12))))
    return {"sharpe": sr, "sharpe_threshold": float(threshold), "dsr": dsr, "n_trials": n, "n_obs": t}
