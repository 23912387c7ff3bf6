"""Daily health checks of a signal run with seed 003's severities and thresholds.

ERROR (stop trading): fewer than 10 signals, a regime without a calibrator, a feature over 50 % NaN.
WARNING (review before trading): Brier > 0.14 or ECE > 0.05, coverage outside 15-35 %, PSI > 0.2 on a
key feature, top-5 concentration > 50 %, one regime holding more than 60 % of the signals.
INFO: targets not available (forward-looking mode), drift within normal limits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MIN_SIGNALS = 10
MAX_NAN_FRACTION = 0.5
MAX_BRIER = 0.14
MAX_ECE = 0.05
COVERAGE_RANGE_PCT = (15.0, 35.0)
MAX_PSI = 0.2
MAX_TOP5_PCT = 50.0
MAX_REGIME_SHARE_PCT = 60.0


@dataclass(frozen=True)
class Finding:
    """One health finding: ``severity`` is ``ERROR``, ``WARNING`` or ``INFO``."""

    severity: str
    code: str
    message: str


def run_checks(metrics: dict[str, Any]) -> list[Finding]:
    """Apply the seed's rules to a health ``metrics`` document (see ``aureus.health``).

    Expected keys: ``coverage.signals_count``, ``coverage.coverage_pct``, ``calibration.missing_regimes``,
    ``features.nan_fraction`` (by feature), ``quality.brier`` / ``quality.ece`` (None when no labels),
    ``drift.psi`` (by key feature), ``concentration.top5_pct``, ``regime.regime_distribution`` (percent).
    """
    out: list[Finding] = []
    cov = metrics["coverage"]
    if cov["signals_count"] < MIN_SIGNALS:
        out.append(Finding("ERROR", "too_few_signals", f"{cov['signals_count']} signals < {MIN_SIGNALS}"))
    for regime in metrics["calibration"]["missing_regimes"]:
        out.append(Finding("ERROR", "calibrator_missing", f"no calibrator for regime {regime}"))
    for name, frac in metrics["features"]["nan_fraction"].items():
        if frac > MAX_NAN_FRACTION:
            out.append(Finding("ERROR", "features_nan", f"feature {name} is {frac:.0%} NaN (> 50%)"))
    quality = metrics["quality"]
    if quality["brier"] is None:
        out.append(Finding("INFO", "targets_unavailable", "targets not available (forward-looking mode)"))
    else:
        if quality["brier"] > MAX_BRIER:
            out.append(Finding("WARNING", "brier_high", f"Brier {quality['brier']:.4f} > {MAX_BRIER}"))
        if quality["ece"] > MAX_ECE:
            out.append(Finding("WARNING", "ece_high", f"ECE {quality['ece']:.4f} > {MAX_ECE}"))
    pct = cov["coverage_pct"]
    lo, hi = COVERAGE_RANGE_PCT
    if not lo <= pct <= hi:
        out.append(
            Finding("WARNING", "coverage_out_of_range", f"coverage {pct:.1f}% outside {lo:.0f}-{hi:.0f}%")
        )
    drifted = {k: v for k, v in metrics["drift"]["psi"].items() if v is not None and v > MAX_PSI}
    for name, value in drifted.items():
        out.append(Finding("WARNING", "psi_high", f"PSI {value:.3f} > {MAX_PSI} on {name}"))
    if not drifted:
        out.append(Finding("INFO", "drift_normal", "drift within normal limits"))
    top5 = metrics["concentration"]["top5_pct"]
    if top5 is not None and top5 > MAX_TOP5_PCT:
        out.append(
            Finding("WARNING", "concentration_high", f"top-5 concentration {top5:.1f}% > {MAX_TOP5_PCT:.0f}%")
        )
    dist = metrics["regime"]["regime_distribution"]
    if dist:
        regime, share = max(dist.items(), key=lambda kv: (kv[1], kv[0]))
        if share > MAX_REGIME_SHARE_PCT:
            out.append(Finding("WARNING", "regime_bias", f"{share:.1f}% of signals in {regime} (> 60%)"))
    return out


def overall_status(findings: list[Finding]) -> str:
    """``ERROR`` when any finding is an error, else ``WARNING`` when any is a warning, else ``OK``."""
    severities = {f.severity for f in findings}
    return "ERROR" if "ERROR" in severities else "WARNING" if "WARNING" in severities else "OK"
