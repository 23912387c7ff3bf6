"""``aureus train walkforward`` on the real BTCUSDT recording: files, metrics, ECE, loadable set."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import structlog
from typer.testing import CliRunner

from adapters.importers import import_files
from aureus.cli_train import train_app
from engine.features.vector import FeatureParams
from engine.models.runtime import ModelBundle
from tests.aureus import ece_check

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
BTC = DATA / "crypto_1m_2023-03_binanceus" / "BTCUSDT_1m_20230301_20230321.csv"
SMALL = ["--set", "n_estimators=25", "--set", "n_folds=3"]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def btc_run(tmp_path_factory):
    assert BTC.is_file(), f"shared data file missing (tests fail, never skip): {BTC}"
    rec = tmp_path_factory.mktemp("btc")
    import_files("binance-klines", [BTC], rec, overwrite=True)
    out = tmp_path_factory.mktemp("wf")
    result = CliRunner().invoke(
        train_app, ["walkforward", "--data", str(rec), "--out", str(out), *SMALL], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    return rec, out, result.output


def test_walkforward_writes_the_model_set_reports_and_pictures(btc_run):
    _, out, output = btc_run
    for name in ("p_short", "p_mid", "p_touch"):
        assert (out / f"{name}.onnx").is_file() and (out / f"{name}.manifest.json").is_file()
        assert (out / f"reliability_{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert (out / f"lift_{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["data_regime"] == "real"
    for key in ("auc", "brier", "ece_raw", "ece_cal"):
        assert isinstance(metrics["oos"][key], float)
    assert [f["fold"] for f in metrics["folds"]] == [0, 1, 2]
    assert set(metrics["regimes"]) == {"low_vol", "med_vol", "high_vol"}
    assert set(metrics["models"]) == {"p_short", "p_mid", "p_touch", "p_touch_short"}
    for report in metrics["models"].values():
        assert len(report["purged_kfold"]["folds"]) == 5 and report["purged_kfold"]["embargo_ns"] > 0
    assert "fold 2" in output and "high_vol" in output
    with (out / "oos_predictions.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["ts", "instrument", "fold", "regime", "label", "prob_raw", "prob_cal"]
    assert len(rows) == metrics["oos"]["n"]
    assert {r["instrument"] for r in rows} == {"BTCUSDT.BINANCE"}
    # each fold's OOS rows come after the previous fold's
    assert [r["ts"] for r in rows] == sorted(r["ts"] for r in rows)


def test_ece_recomputed_independently_equals_the_report(btc_run):
    _, out, _ = btc_run
    metrics = json.loads((out / "metrics.json").read_text())
    ece_raw, ece_cal = ece_check.main(str(out / "oos_predictions.csv"))
    assert ece_raw == pytest.approx(metrics["oos"]["ece_raw"], abs=1e-12)
    assert ece_cal == pytest.approx(metrics["oos"]["ece_cal"], abs=1e-12)


def test_the_set_loads_in_the_runtime_and_scores_calibrated_probabilities(btc_run):
    _, out, _ = btc_run
    bundle = ModelBundle.load(out, params=FeatureParams(), names=("p_short", "p_mid", "p_touch"))
    manifest = bundle.manifest("p_touch")
    assert manifest.output_name == "prob_cal" and manifest.research["regime_thresholds"]
    assert manifest.data.synthetic is False
    row = np.full(len(manifest.feature_names), 0.001)
    scores = bundle.predict_row(row)
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert manifest.research["onnx_max_abs_diff_cal_graph"] < 1e-6


def test_same_data_and_seed_give_byte_identical_outputs(btc_run, tmp_path):
    rec, out, _ = btc_run
    again = tmp_path / "again"
    result = CliRunner().invoke(train_app, ["walkforward", "--data", str(rec), "--out", str(again), *SMALL])
    assert result.exit_code == 0, result.output
    for name in ("p_touch.onnx", "p_touch.manifest.json", "oos_predictions.csv", "reliability_p_touch.png"):
        assert (again / name).read_bytes() == (out / name).read_bytes(), name
    assert (again / "metrics.json").read_bytes() == (out / "metrics.json").read_bytes()


def test_bad_setting_is_refused_with_its_name(tmp_path, capsys):
    from aureus.cli import main

    try:
        with pytest.raises(SystemExit) as exit_info:
            main(["train", "walkforward", "--data", str(tmp_path), "--out", str(tmp_path),
                  "--set", "mode=sideways"])  # fmt: skip
    finally:
        structlog.reset_defaults()  # main() bound structlog to capsys's stream, closed after this test
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert err.startswith("error:") and "mode" in err and "Traceback" not in err
