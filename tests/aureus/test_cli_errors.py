"""Hard edges through the real entry point: every expected failure is one line, exit 2, nothing lost.

``aureus.cli.main(argv)`` is what the console script runs; stderr is captured by pytest.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import structlog

from aureus.cli import main

APPROVAL = {
    "stay_demo": False,
    "live_changes": {"max_position_pct": 0.015, "stop_multipliers": {"atr": 1.8, "trailing": 1.2}},
}


def run(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        with pytest.raises(SystemExit) as exit_info:
            main(list(argv))
    finally:
        structlog.reset_defaults()  # main() bound structlog to this test's captured stderr
    captured = capsys.readouterr()
    return exit_info.value.code, captured.out, captured.err


def assert_one_line_error(err: str, *needles: str) -> None:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("error: "), err
    assert "Traceback" not in err
    for needle in needles:
        assert needle in lines[0], (needle, err)


def test_data_path_with_brackets_is_printed_verbatim(capsys, tmp_path):
    missing = tmp_path / "[x]" / "nope"
    code, _, err = run(capsys, "replay", "--data", str(missing), "--out", str(tmp_path / "run"))
    assert code == 2
    assert_one_line_error(err, str(missing), "not found")
    assert not (tmp_path / "run").exists()


def test_relative_data_path_is_named(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "replay", "--data", "nope", "--out", "run")
    assert code == 2
    assert_one_line_error(err, "nope")


def test_config_directory_and_binary_config_are_one_line(capsys, tmp_path):
    binary = tmp_path / "bin.toml"
    binary.write_bytes(bytes(range(256)))
    code_dir, _, err_dir = run(capsys, "config", "show", "--config", str(tmp_path))
    code_bin, _, err_bin = run(capsys, "config", "show", "--config", str(binary))
    assert code_dir == 2 and code_bin == 2
    assert_one_line_error(err_dir, str(tmp_path), "directory")
    assert_one_line_error(err_bin, str(binary), "not UTF-8")


@pytest.mark.parametrize(
    ("override", "needle"),
    [
        ("policy.thresholds.buy=0.2", "policy.thresholds.buy"),
        ("policy.blend_weights.rl=0.5", "policy.blend_weights"),
        ("risk.kill_switch.daily_loss_pct=60", "risk.kill_switch.daily_loss_pct"),
        ("replay.synthetic_seed=-1", "replay.synthetic_seed"),
    ],
)
def test_cross_field_config_checks(capsys, override, needle):
    code, _, err = run(capsys, "config", "show", "--set", override)
    assert code == 2
    assert_one_line_error(err, needle)


def test_negative_seed_is_refused(capsys, tmp_path):
    code, _, err = run(capsys, "data", "synth", "--seed", "-1", "--out", str(tmp_path / "rec"))
    assert code == 2
    assert_one_line_error(err, "--seed", "-1")
    assert not (tmp_path / "rec").exists()


def test_train_on_missing_data_is_one_line(capsys, tmp_path):
    data, out = str(tmp_path / "[no]"), str(tmp_path / "m")
    code, _, err = run(capsys, "train", "baseline", "--data", data, "--out", out)
    assert code == 2
    assert_one_line_error(err, "training failed", "[no]")


# --- aureus risk -----------------------------------------------------------------------------------


@pytest.fixture
def state_dir(capsys, tmp_path) -> Path:
    state = tmp_path / "state"
    code, _, err = run(capsys, "risk", "status", "--state", str(state), "--init")
    assert code == 0, err
    return state


def test_risk_status_on_a_typo_creates_nothing(capsys, tmp_path):
    typo = tmp_path / "stat"
    for command in (("status",), ("override", "--by", "ops", "--reason", "r")):
        code, _, err = run(capsys, "risk", *command, "--state", str(typo))
        assert code == 2
        assert_one_line_error(err, str(typo), "--init")
    assert not typo.exists()


def test_risk_default_state_is_the_replay_default(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "risk", "status")
    assert code == 2
    assert_one_line_error(err, "runs/latest/state")


@pytest.mark.parametrize(("by", "reason"), [("", "r"), ("ops", "   ")])
def test_override_needs_who_and_why(capsys, state_dir, by, reason):
    before = (state_dir / "risk.state").read_bytes()
    code, _, err = run(capsys, "risk", "override", "--by", by, "--reason", reason, "--state", str(state_dir))
    assert code == 2
    assert_one_line_error(err, "must not be empty")
    assert (state_dir / "risk.state").read_bytes() == before


@pytest.mark.parametrize(
    ("path", "value", "needle"),
    [
        (("max_position_pct",), -500, "max_position_pct"),
        (("max_position_pct",), 0.5, "max_position_pct"),
        (("stop_multipliers", "atr"), 0.5, "stop_multipliers.atr"),
        (("stop_multipliers", "trailing"), 3.5, "stop_multipliers.trailing"),
    ],
)
def test_approval_out_of_range_is_refused(capsys, state_dir, tmp_path, path, value, needle):
    answer = json.loads(json.dumps(APPROVAL))
    target = answer["live_changes"]
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    response = tmp_path / "answer.json"
    response.write_text(json.dumps(answer))
    before = (state_dir / "risk.state").read_bytes()
    code, _, err = run(capsys, "risk", "approve", "--response", str(response), "--call-id", "c1",
                       "--state", str(state_dir))  # fmt: skip
    assert code == 2
    assert_one_line_error(err, needle)
    assert (state_dir / "risk.state").read_bytes() == before


def test_approval_in_range_is_recorded(capsys, state_dir, tmp_path):
    response = tmp_path / "answer.json"
    response.write_text(json.dumps(APPROVAL))
    code, _, err = run(capsys, "risk", "approve", "--response", str(response), "--call-id", "c1",
                       "--state", str(state_dir))  # fmt: skip
    assert code == 0, err
    assert json.loads((state_dir / "risk.state").read_bytes())["approvals"][0]["call_id"] == "c1"


def test_missing_response_file_is_one_line(capsys, state_dir, tmp_path):
    missing = tmp_path / "answer.json"
    code, _, err = run(capsys, "risk", "approve", "--response", str(missing), "--call-id", "c1",
                       "--state", str(state_dir))  # fmt: skip
    assert code == 2
    assert_one_line_error(err, str(missing), "not found")


def test_state_with_negative_quarantine_is_refused(capsys, state_dir):
    document = json.loads((state_dir / "risk.state").read_bytes())
    document["quarantine_remaining"] = -3
    (state_dir / "risk.state").write_text(json.dumps(document))
    code, _, err = run(capsys, "risk", "status", "--state", str(state_dir))
    assert code == 2
    assert_one_line_error(err, "quarantine_remaining=-3")


# --- replay preflight --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_recording(tmp_path_factory) -> Path:
    from adapters.synthetic import synthesize

    rec = tmp_path_factory.mktemp("rec") / "rec"
    synthesize(5, rec, days=2, n_instruments=1)
    return rec


def test_tampered_model_is_one_line_before_any_data_is_loaded(capfd, small_recording, tmp_path):
    import shutil

    from aureus.paths import REPO_ROOT

    models = tmp_path / "models"
    shutil.copytree(REPO_ROOT / "models" / "baseline", models)
    onnx = models / "p_short.onnx"
    onnx.write_bytes(onnx.read_bytes()[:-1] + bytes([onnx.read_bytes()[-1] ^ 1]))
    out = tmp_path / "run"

    try:
        with pytest.raises(SystemExit) as exit_info:
            main(["replay", "--data", str(small_recording), "--out", str(out), "--no-progress",
                  "--set", f"models.dir={models}"])  # fmt: skip
    finally:
        structlog.reset_defaults()
    err = capfd.readouterr().err

    assert exit_info.value.code == 2
    assert_one_line_error(err, "p_short", "sha256")
    assert not out.exists()


def test_recording_without_bars_points_to_data_bars(capsys, tmp_path):
    from adapters.recorded import write_recording
    from schemas.market import Quote
    from schemas.recording import InstrumentSpec

    spec = InstrumentSpec(instrument_id="EURUSD.SIM", kind="fx", base_currency="EUR", quote_currency="USD",
                          price_precision=5, size_precision=0)  # fmt: skip
    quotes = [Quote(instrument="EURUSD.SIM", ts_event=1_700_000_000_000_000_000, bid=1.1, ask=1.2)]
    write_recording(tmp_path / "rec", quotes, source="q", synthetic=False, instruments=[spec])

    code, _, err = run(capsys, "replay", "--data", str(tmp_path / "rec"), "--out", str(tmp_path / "run"))

    assert code == 2
    assert_one_line_error(err, "no md.bars", "aureus data bars")


# --- replay outputs ------------------------------------------------------------------------------------


def test_a_failed_replay_keeps_the_previous_run_and_state(capsys, small_recording, tmp_path):
    out = tmp_path / "run"
    code, _, err = run(capsys, "replay", "--data", str(small_recording), "--out", str(out), "--no-progress")
    assert code == 0, err
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    state_before = (out / "state" / "risk.state").read_bytes()

    code, _, err = run(capsys, "replay", "--data", str(small_recording), "--out", str(out), "--no-progress",
                       "--set", "execution.paper_client_id=NOPE")  # fmt: skip

    assert code == 2
    assert_one_line_error(err, "paper_client_id", "NOPE")
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    assert (out / "state" / "risk.state").read_bytes() == state_before
    assert json.loads((out / "complete.json").read_text())["complete"] is True


def test_a_second_replay_into_the_same_out_is_refused(capsys, small_recording, tmp_path):
    from aureus.run_dir import RunDirectory

    out = tmp_path / "run"
    with RunDirectory(out):  # another replay holds --out
        code, _, err = run(
            capsys, "replay", "--data", str(small_recording), "--out", str(out), "--no-progress"
        )
    assert code == 2
    assert_one_line_error(err, "another run is writing", str(out))


def test_resuming_out_state_continues_it_and_risk_cli_reads_it(capsys, small_recording, tmp_path):
    out = tmp_path / "run"
    assert run(capsys, "replay", "--data", str(small_recording), "--out", str(out), "--no-progress")[0] == 0
    code, _, err = run(
        capsys, "risk", "override", "--by", "ops", "--reason", "checked", "--state", str(out / "state")
    )
    assert code == 0, err

    code, _, err = run(capsys, "replay", "--data", str(small_recording), "--out", str(out), "--no-progress",
                       "--state", str(out / "state"))  # fmt: skip

    assert code == 0, err
    state = json.loads((out / "state" / "risk.state").read_bytes())
    assert [o["by"] for o in state["overrides"]] == ["ops"]  # carried into the new run's state


def test_report_has_per_instrument_costs_baseline_and_annualisation(capsys, small_recording, tmp_path):
    out = tmp_path / "run"
    code, _, err = run(capsys, "replay", "--data", str(small_recording), "--out", str(out), "--no-progress")
    assert code == 0, err
    report = json.loads((out / "report.json").read_text())
    trades = [json.loads(line) for line in (out / "trades.jsonl").read_text().splitlines()]
    manifest = json.loads((small_recording / "manifest.json").read_text())

    assert sum(r["trades"] + r["open"] for r in report["per_instrument"].values()) == len(trades)
    assert report["fees_paid"] == pytest.approx(sum(t["fees"] for t in trades))
    assert report["turnover"] >= 0.0
    kinds = {s["kind"] for s in manifest["instruments"]}
    assert report["sharpe_annualization"] == ("sqrt(365)" if "crypto_spot" in kinds else "sqrt(252)")
    baseline = report["buy_and_hold"]
    assert set(baseline["per_instrument_return"]) == {s["instrument_id"] for s in manifest["instruments"]}
    assert baseline["exposure_weighted_return"] == pytest.approx(
        baseline["equal_weight_return"] * baseline["mean_gross_exposure_pct"] / 100.0
    )
    assert report["warmup_bars"] > 0 and report["instruments_short_of_warmup"] == []
    assert not any(a["code"] in ("data_stall", "data_resumed") for a in report["alerts"])
