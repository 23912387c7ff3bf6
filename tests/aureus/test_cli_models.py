"""``aureus models``: add, list, refusals, promotion and an exact rollback on real walk-forward output."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.importers import import_files
from aureus.cli_models import models_app
from aureus.cli_train import train_app
from engine.research.registry import read_state, resolve_model_dir, version_fingerprint

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
BTC = DATA / "crypto_1m_2023-03_binanceus" / "BTCUSDT_1m_20230301_20230321.csv"
ENV = {"COLUMNS": "200"}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def candidate(tmp_path_factory):
    """A walk-forward output on real BTCUSDT whose baseline is the no-skill predictor."""
    assert BTC.is_file(), f"shared data file missing (tests fail, never skip): {BTC}"
    rec = tmp_path_factory.mktemp("btc")
    import_files("binance-klines", [BTC], rec, overwrite=True)
    out = tmp_path_factory.mktemp("wf")
    args = [
        "walkforward",
        "--data",
        str(rec),
        "--out",
        str(out),
        "--set",
        "n_estimators=25",
        "--set",
        "n_folds=2",
        "--set",
        "search_blocks=3",
        "--set",
        "baseline_dir=",
    ]
    result = CliRunner().invoke(train_app, args, env=ENV)
    assert result.exit_code == 0, result.output
    return out


def _replay(path: Path, sharpe: float, synthetic: bool = False, days: int = 21) -> Path:
    path.mkdir()
    (path / "report.json").write_text(
        json.dumps(
            {
                "sharpe_daily": sharpe,
                "observation_days": days,
                "synthetic": synthetic,
                "data_content_hash": "same",
                "starting_nav": 100.0,
            }
        )
    )
    return path


def _run(*args):
    return CliRunner().invoke(models_app, [str(a) for a in args], env=ENV)


def test_promote_refuses_synthetic_and_under_observed_then_accepts_and_rolls_back(candidate, tmp_path):
    root = tmp_path / "models"
    metrics = json.loads((candidate / "metrics.json").read_text())
    assert metrics["data_regime"] == "real"
    assert _run("add", "btc", "v1", "--from", candidate, "--root", root).exit_code == 0
    # a synthetic candidate: the same files with data_regime rewritten (what a synthetic run writes)
    synthetic = tmp_path / "synthetic"
    shutil.copytree(candidate, synthetic)
    (synthetic / "metrics.json").write_text(json.dumps({**metrics, "data_regime": "synthetic"}))
    assert _run("add", "btc", "v0-synth", "--from", synthetic, "--root", root).exit_code == 0

    good, worse = _replay(tmp_path / "good", 1.0), _replay(tmp_path / "worse", -1.0)
    r = _run("promote", "btc", "v0-synth", "--replay", good, "--baseline-replay", worse, "--root", root)
    assert r.exit_code == 1 and "status=rejected" in r.output and "FAIL data_regime" in r.output
    r = _run(
        "promote",
        "btc",
        "v1",
        "--replay",
        good,
        "--baseline-replay",
        worse,
        "--root",
        root,
        "--min-observation-days",
        400,
    )
    assert r.exit_code == 1 and "status=insufficient_observation" in r.output
    assert read_state(root, "btc").promoted is None

    beats = all(
        m[seg]["auc"] > m["baseline"][seg]["auc"] and m[seg]["brier"] < m["baseline"][seg]["brier"]
        for m in metrics["models"].values()
        for seg in ("validation", "oos")
    )
    r = _run(
        "promote",
        "btc",
        "v1",
        "--replay",
        good,
        "--baseline-replay",
        worse,
        "--root",
        root,
        "--min-observation-days",
        1,
    )
    # the gate's verdict must follow the recorded figures, whichever way they fall
    assert ("status=promoted" in r.output) == beats, r.output
    assert "deflated Sharpe" not in r.output or "candidates" in r.output

    # rollback restores the previous promoted version exactly: promote two versions, roll back one
    assert _run("add", "btc", "v2", "--from", candidate, "--root", root).exit_code == 0
    from engine.research.registry import record_promotion

    if not beats:
        record_promotion(root, "btc", "v1", {"status": "promoted", "reasons": []})
    before = version_fingerprint(resolve_model_dir(root / "btc"))
    record_promotion(root, "btc", "v2", {"status": "promoted", "reasons": []})
    assert resolve_model_dir(root / "btc") == root / "btc" / "v2"
    r = _run("rollback", "btc", "--root", root)
    assert r.exit_code == 0 and "promoted=v1" in r.output
    assert resolve_model_dir(root / "btc") == root / "btc" / "v1"
    assert version_fingerprint(resolve_model_dir(root / "btc")) == before
    assert _run("rollback", "btc", "--root", root).exit_code == 2  # nothing earlier: an error
    listing = _run("list", "--root", root)
    assert listing.exit_code == 0 and "v1" in listing.output and "v2" in listing.output
