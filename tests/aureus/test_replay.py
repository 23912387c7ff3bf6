"""End-to-end replay: the whole decision path in a BacktestEngine, its outputs and their determinism."""

import csv
from pathlib import Path

import msgspec
import pytest
from report_contract import REQUIRED_REPORT_KEYS

from aureus.replay import run_replay
from engine.config import load_config
from schemas.tradelog import TradeLogEntry

EQUITY_HEADER = [
    "ts",
    "nav",
    "day_pnl_pct",
    "gross_exposure_pct",
    "net_exposure_pct",
    "max_name_exposure_pct",
    "bucket_core_pct",
    "bucket_penny_pct",
    "bucket_fno_pct",
    "mode",
    "halted",
]


@pytest.fixture(scope="module")
def small_synthetic(tmp_path_factory) -> Path:
    from adapters.synthetic import synthesize

    path = tmp_path_factory.mktemp("synth") / "rec"
    synthesize(11, path, days=3)
    return path


def _replay(data: Path, out: Path, *overrides: str) -> dict:
    cfg = load_config(overrides=["replay.progress=false", *overrides])
    return run_replay(cfg, data=data, out=out)


def test_replay_writes_every_output_with_real_numbers(small_synthetic, tmp_path):
    report = _replay(small_synthetic, tmp_path / "run")
    assert report.keys() >= REQUIRED_REPORT_KEYS
    assert report["synthetic"] is True
    assert report["sharpe_method"] == "daily_agg"
    assert report["bars"] > 0 and report["events"] >= report["bars"]
    assert report["orders"] > 0 and report["fills"] > 0
    assert report["observation_days"] == 3
    assert len(report["instruments"]) > 1

    trades = [
        msgspec.json.decode(line, type=TradeLogEntry)
        for line in (tmp_path / "run" / "trades.jsonl").read_bytes().splitlines()
    ]
    closed = [t for t in trades if t.exit_price is not None]
    assert len(closed) == report["trades"] > 0
    for t in trades:
        assert t.size_post_risk <= t.size_pre + 1e-12
        assert t.size_post_risk <= 0.015 + 1e-12  # core per-name cap
        assert t.policy_version == "baseline-1" and t.mode == "demo"
        assert t.timestamp.startswith("20") and t.timestamp.endswith("Z")

    with (tmp_path / "run" / "equity.csv").open() as f:
        rows = list(csv.reader(f))
    assert rows[0] == EQUITY_HEADER
    assert len(rows) - 1 == report["bars"] // len(report["instruments"])
    navs = [float(r[1]) for r in rows[1:]]
    assert navs[-1] == pytest.approx(report["final_nav"])
    assert (tmp_path / "run" / "equity.png").stat().st_size > 10_000


def test_rl_missing_fallback_is_reported(small_synthetic, tmp_path):
    report = _replay(small_synthetic, tmp_path / "run")
    assert report["rl_model"] == "missing"
    assert report["ensemble_mode"] == "predictors_only_half_size"
    assert any(a["code"] == "rl_model_missing" for a in report["alerts"])
    assert report["models"]["ppo_size_hint"] is None
    assert {"p_short", "p_mid"} <= report["models"].keys()


def test_same_inputs_give_byte_identical_trade_log(small_synthetic, tmp_path):
    a = _replay(small_synthetic, tmp_path / "a")
    b = _replay(small_synthetic, tmp_path / "b")
    assert (tmp_path / "a" / "trades.jsonl").read_bytes() == (tmp_path / "b" / "trades.jsonl").read_bytes()
    assert (tmp_path / "a" / "equity.csv").read_bytes() == (tmp_path / "b" / "equity.csv").read_bytes()
    assert a["run_id"] == b["run_id"]


def test_config_changes_the_decisions(small_synthetic, tmp_path):
    base = _replay(small_synthetic, tmp_path / "a")
    strict = _replay(
        small_synthetic, tmp_path / "b", "policy.thresholds.buy=0.99", "policy.thresholds.sell=0.01"
    )
    assert strict["orders"] == 0 < base["orders"]
    assert strict["config_hash"] != base["config_hash"]


def test_removing_the_ppo_model_switches_to_the_documented_fallback(small_synthetic, tmp_path):
    """With a size-hint model present the ensemble blends all three; without it, predictors only at half size.

    The stand-in size-hint model is the p_short ONNX under the ppo_size_hint name (with a valid manifest):
    it exercises the loading and blending path; no trained PPO model ships yet.
    """
    import json
    import shutil

    from aureus.paths import REPO_ROOT

    models = tmp_path / "models"
    shutil.copytree(REPO_ROOT / "models" / "baseline", models)
    shutil.copy(models / "p_short.onnx", models / "ppo_size_hint.onnx")
    body = json.loads((models / "p_short.manifest.json").read_text())
    body.update(name="ppo_size_hint", onnx_file="ppo_size_hint.onnx")
    (models / "ppo_size_hint.manifest.json").write_text(json.dumps(body))

    with_rl = _replay(small_synthetic, tmp_path / "with", f"models.dir={json.dumps(str(models))}")
    assert with_rl["rl_model"] == "loaded" and with_rl["ensemble_mode"] == "full"
    assert not any(a["code"] == "rl_model_missing" for a in with_rl["alerts"])
    tags = {
        t
        for line in (tmp_path / "with" / "trades.jsonl").read_bytes().splitlines()
        for t in msgspec.json.decode(line, type=TradeLogEntry).reason_tags
    }
    assert "rl_missing" not in tags

    (models / "ppo_size_hint.onnx").unlink()
    (models / "ppo_size_hint.manifest.json").unlink()
    without = _replay(small_synthetic, tmp_path / "without", f"models.dir={json.dumps(str(models))}")
    assert without["rl_model"] == "missing" and without["ensemble_mode"] == "predictors_only_half_size"
    assert any(a["code"] == "rl_model_missing" for a in without["alerts"])


def test_micro_mode_trades_long_only_at_a_quarter_of_the_caps(small_synthetic, tmp_path):
    # spot shorting allowed, so it is micro mode's long-only clamp that refuses the sells
    report = _replay(small_synthetic, tmp_path / "micro", "mode=micro", "shorting.spot=true")
    trades = [
        msgspec.json.decode(line, type=TradeLogEntry)
        for line in (tmp_path / "micro" / "trades.jsonl").read_bytes().splitlines()
    ]
    assert trades and all(t.direction == "BUY" and t.mode == "micro" for t in trades)
    assert max(t.size_post_risk for t in trades) <= 0.015 * 0.25 + 1e-12
    assert report["clamp_reasons"].get("rejected:long_only", 0) > 0  # the sells it refused
    assert report["caps_pct"]["per_name"]["core"] == pytest.approx(0.375)
