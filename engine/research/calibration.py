"""Volatility regimes and per-regime probability calibration.

Regimes are ATR% terciles (``low_vol`` / ``med_vol`` / ``high_vol``) whose two thresholds are fitted on
training rows only. In each regime an isotonic and a Platt (sigmoid) calibrator are fitted with
scikit-learn's ``CalibratedClassifierCV`` on the frozen trained model; the one with the lower Brier
score on the later half of the regime's validation rows (fitted on the earlier half) is chosen and
refitted on all of them. Calibrator parameters are extracted so the ONNX graph can apply them.

scikit-learn calibrates LightGBM's ``decision_function`` (the raw log-odds), so the calibrators here
take ``logit(prob_raw)`` as input; ``logit`` of the model's probability is that margin.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.frozen import FrozenEstimator

from engine.research.errors import CalibrationError

REGIMES = ("low_vol", "med_vol", "high_vol")
MIN_ROWS_PER_REGIME = 50


def margin(prob: np.ndarray) -> np.ndarray:
    """``log(p / (1 - p))`` with ``p`` clipped to ``[1e-15, 1 - 1e-15]``."""
    p = np.clip(np.asarray(prob, dtype=np.float64), 1e-15, 1.0 - 1e-15)
    return np.log(p) - np.log1p(-p)


def fit_regime_thresholds(atr_pct: np.ndarray) -> tuple[float, float]:
    """ATR% terciles of the training rows, rounded to float32 (the ONNX graph compares in float32)."""
    x = np.asarray(atr_pct, dtype=np.float64)
    x = x[np.isfinite(x)]
    if x.size < 3:
        raise CalibrationError(f"need at least 3 finite ATR% values to fit regime terciles, got {x.size}")
    lo, hi = np.quantile(x, [1 / 3, 2 / 3])
    return float(np.float32(lo)), float(np.float32(hi))


def assign_regimes(atr_pct: np.ndarray, thresholds: tuple[float, float]) -> np.ndarray:
    """Regime index per row: 0 when ``x < t1``, 1 when ``t1 <= x < t2``, else 2 (compared in float32,
    as the ONNX graph does; a NaN falls in the high-volatility regime there and here)."""
    x = np.asarray(atr_pct, dtype=np.float32)
    t1, t2 = np.float32(thresholds[0]), np.float32(thresholds[1])
    return 2 - (x < t1).astype(np.int64) - (x < t2).astype(np.int64)


@dataclass
class RegimeCalibrator:
    """The chosen calibrator of one regime.

    ``method`` is ``isotonic``, ``sigmoid`` or ``none`` (too few rows or one class: the raw
    probability is passed through, which the health check reports as a missing calibrator).
    ``params`` holds ``x``/``y`` (isotonic knots over the margin ``m = logit(p_raw)``) or ``a``/``b``
    (``p_cal = 1 / (1 + exp(a m + b))``).
    """

    regime: str
    method: str
    params: dict[str, Any]
    selection_brier: dict[str, float] = field(default_factory=dict)
    n_rows: int = 0
    model: CalibratedClassifierCV | None = None

    def apply_raw(self, prob_raw: np.ndarray) -> np.ndarray:
        """Apply the calibrator to raw probabilities with NumPy (same maths as scikit-learn)."""
        p = np.asarray(prob_raw, dtype=np.float64)
        if self.method == "none":
            return p
        m = margin(p)
        if self.method == "isotonic":
            return np.interp(m, self.params["x"], self.params["y"])
        return 1.0 / (1.0 + np.exp(self.params["a"] * m + self.params["b"]))

    def summary(self) -> dict[str, Any]:
        """JSON-ready description (method, parameters, selection scores, rows)."""
        return {
            "regime": self.regime,
            "method": self.method,
            "params": self.params,
            "selection_brier": self.selection_brier,
            "n_rows": self.n_rows,
        }


def _fit(model: Any, x: np.ndarray, y: np.ndarray, method: str) -> CalibratedClassifierCV:
    cal = CalibratedClassifierCV(FrozenEstimator(model), method=method)
    cal.fit(x, y)
    return cal


def _params(cal: CalibratedClassifierCV, method: str) -> dict[str, Any]:
    inner = cal.calibrated_classifiers_[0].calibrators[0]
    if method == "isotonic":
        return {"x": [float(v) for v in inner.X_thresholds_], "y": [float(v) for v in inner.y_thresholds_]}
    return {"a": float(inner.a_), "b": float(inner.b_)}


def fit_regime_calibrator(model: Any, x: np.ndarray, y: np.ndarray, regime: str) -> RegimeCalibrator:
    """Fit isotonic and Platt on one regime's validation rows (time order) and keep the better one.

    Parameters
    ----------
    model : fitted classifier with ``predict_proba``
        Frozen; never refitted.
    x, y : np.ndarray
        The regime's validation features and labels, in time order.
    regime : str
        Regime name.
    """
    y = np.asarray(y, dtype=np.int64)
    n = int(y.size)
    half = n // 2
    if n < MIN_ROWS_PER_REGIME or np.unique(y[:half]).size < 2 or np.unique(y[half:]).size < 2:
        return RegimeCalibrator(regime=regime, method="none", params={}, n_rows=n)
    scores = {}
    for method in ("isotonic", "sigmoid"):
        cal = _fit(model, x[:half], y[:half], method)
        p = cal.predict_proba(x[half:])[:, 1]
        scores[method] = float(np.mean((p - y[half:]) ** 2))
    chosen = min(scores, key=lambda m: (scores[m], m))
    cal = _fit(model, x, y, chosen)
    return RegimeCalibrator(
        regime=regime, method=chosen, params=_params(cal, chosen), selection_brier=scores, n_rows=n, model=cal
    )


def fit_calibrators(model: Any, x: np.ndarray, y: np.ndarray, regimes: np.ndarray) -> list[RegimeCalibrator]:
    """One ``RegimeCalibrator`` per regime in ``REGIMES`` order, fitted on validation rows."""
    return [
        fit_regime_calibrator(model, x[regimes == r], y[regimes == r], name) for r, name in enumerate(REGIMES)
    ]


def calibrate(calibrators: list[RegimeCalibrator], prob_raw: np.ndarray, regimes: np.ndarray) -> np.ndarray:
    """Calibrated probabilities: each row through its regime's calibrator."""
    prob_raw = np.asarray(prob_raw, dtype=np.float64)
    out = prob_raw.copy()
    for r, cal in enumerate(calibrators):
        mask = regimes == r
        if mask.any():
            out[mask] = cal.apply_raw(prob_raw[mask])
    return out
