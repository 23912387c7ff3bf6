"""Acceptance through the real CLI: import real BTCUSDT bars, replay twice, identical trade log."""

import json

import pytest
from report_contract import REQUIRED_REPORT_KEYS
from risk_checks import assert_name_exposure_within_cap
from typer.testing import CliRunner

from aureus.cli import _mount_subcommands, app
from aureus.paths import REPO_ROOT

BTCUSDT = (
    REPO_ROOT.parent / "shared" / "data" / "crypto_1m_2023-03_binanceus" / "BTCUSDT_1m_20230301_20230321.csv"
)

_mount_subcommands()
runner = CliRunner()


def invoke(*args: str):
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


@pytest.mark.slow
def test_real_btcusdt_import_and_replay_twice(tmp_path):
    rec, run_a, run_b = tmp_path / "REC", tmp_path / "RUN", tmp_path / "RUN2"
    invoke("data", "import", "binance-klines", str(BTCUSDT), "--out", str(rec))
    out = invoke("replay", "--data", str(rec), "--out", str(run_a), "--no-progress").output
    assert str(run_a / "report.json") in out

    report = json.loads((run_a / "report.json").read_text())
    assert report.keys() >= REQUIRED_REPORT_KEYS
    assert report["synthetic"] is False
    assert report["instruments"] == ["BTCUSDT.BINANCE"]
    assert report["bars"] == 30_240 and report["trades"] > 0
    assert report["observation_days"] == 21
    # entries are sized below the 1.5 % per-name cap (README "Sizing"; at most 5 % under it by
    # entry_buffer_pct), the clamp cuts nothing else, and drift above the cap is trimmed within one bar
    assert report["clamp_reasons"].keys() <= {"reduced:per_name_cap"}
    assert_name_exposure_within_cap(run_a, rec, 1.5)
    assert "position_opened_without_entry" not in report["counters"]
    assert report["orders_denied"] == 0

    invoke("replay", "--data", str(rec), "--out", str(run_b), "--no-progress")
    assert (run_a / "trades.jsonl").read_bytes() == (run_b / "trades.jsonl").read_bytes()


@pytest.mark.parametrize(
    "command",
    [
        (),
        ("replay",),
        ("data",),
        ("data", "import"),
        ("data", "synth"),
        ("train",),
        ("train", "baseline"),
        ("config",),
        ("config", "show"),
        ("risk",),
        ("risk", "status"),
        ("risk", "override"),
        ("risk", "approve"),
    ],
)
def test_every_command_has_help(command):
    result = invoke(*command, "--help")
    assert "Usage" in result.output


def test_set_override_reaches_the_config():
    out = invoke("config", "show", "--set", "policy.thresholds.buy=0.71").output
    assert "buy = 0.71" in out


def test_bad_override_is_a_clear_error():
    result = runner.invoke(app, ["config", "show", "--set", "policy.nope=1"])
    assert result.exit_code != 0
    assert "policy" in str(result.exception)
