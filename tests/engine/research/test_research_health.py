"""Seed 003 health rules: each threshold raises its severity, a clean run is OK."""

from __future__ import annotations

from engine.research.health import overall_status, run_checks


def _metrics(**changes):
    m = {
        "coverage": {"signals_count": 20, "candidates_count": 80, "coverage_pct": 25.0},
        "calibration": {"missing_regimes": []},
        "features": {"nan_fraction": {"atr_norm": 0.0}},
        "quality": {"brier": 0.12, "ece": 0.03},
        "drift": {"psi": {"atr_norm": 0.05}},
        "concentration": {"top5_pct": 40.0},
        "regime": {"regime_distribution": {"low_vol": 40.0, "med_vol": 30.0, "high_vol": 30.0}},
    }
    for key, value in changes.items():
        section, field = key.split("__")
        m[section][field] = value
    return m


def _codes(metrics):
    return {(f.severity, f.code) for f in run_checks(metrics)}


def test_clean_run_is_ok_with_info_only():
    findings = run_checks(_metrics())
    assert overall_status(findings) == "OK"
    assert {f.severity for f in findings} == {"INFO"}


def test_errors():
    assert ("ERROR", "too_few_signals") in _codes(_metrics(coverage__signals_count=9))
    assert ("ERROR", "calibrator_missing") in _codes(_metrics(calibration__missing_regimes=["low_vol"]))
    assert ("ERROR", "features_nan") in _codes(_metrics(features__nan_fraction={"vol_z": 0.51}))
    assert overall_status(run_checks(_metrics(coverage__signals_count=0))) == "ERROR"


def test_warnings_at_the_seed_thresholds():
    assert ("WARNING", "brier_high") in _codes(_metrics(quality__brier=0.141))
    assert ("WARNING", "ece_high") in _codes(_metrics(quality__ece=0.051))
    assert ("WARNING", "coverage_out_of_range") in _codes(_metrics(coverage__coverage_pct=14.9))
    assert ("WARNING", "coverage_out_of_range") in _codes(_metrics(coverage__coverage_pct=35.1))
    assert ("WARNING", "psi_high") in _codes(_metrics(drift__psi={"vol_z": 0.21}))
    assert ("WARNING", "concentration_high") in _codes(_metrics(concentration__top5_pct=50.1))
    assert ("WARNING", "regime_bias") in _codes(
        _metrics(regime__regime_distribution={"high_vol": 61.0, "low_vol": 39.0})
    )
    # at the limits nothing fires
    edge = _metrics(
        quality__brier=0.14, quality__ece=0.05, coverage__coverage_pct=15.0, drift__psi={"x": 0.2}
    )
    assert overall_status(run_checks(edge)) == "OK"


def test_no_targets_is_info():
    assert ("INFO", "targets_unavailable") in _codes(_metrics(quality__brier=None, quality__ece=None))
