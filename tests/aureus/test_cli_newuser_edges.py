"""A careless user in `models`, `plan` and `health`: one line on stderr, exit 2, nothing written."""

from __future__ import annotations

import pytest
import structlog

from aureus.cli import main


def run(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        with pytest.raises(SystemExit) as exit_info:
            main(list(argv))
    finally:
        structlog.reset_defaults()
    captured = capsys.readouterr()
    return exit_info.value.code, captured.out, captured.err


def one_line_error(err: str, *needles: str) -> None:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("error: "), err
    for needle in needles:
        assert needle in lines[0], (needle, err)


def test_plan_with_bracketed_missing_recording_is_one_line(capsys, tmp_path):
    # the recording error names the path in brackets; it used to crash rich's markup parser
    missing = tmp_path / "nope"
    code, _, err = run(capsys, "plan", "--data", str(missing), "--out", str(tmp_path / "plan"))
    assert code == 2
    one_line_error(err, "plan failed", f"[{missing}]")
    assert not (tmp_path / "plan").exists()


def test_health_without_plan_is_an_error_not_a_finding(capsys, tmp_path):
    code, out, err = run(capsys, "health", "--run", str(tmp_path / "[run]"))
    assert code == 2 and out == ""
    one_line_error(err, "health failed", "plan_run.json", "[run]")


def test_models_unknown_set_names_the_known_sets(capsys, tmp_path):
    (tmp_path / "btc").mkdir()
    code, out, err = run(capsys, "models", "show", "nope", "--root", str(tmp_path))
    assert code == 2 and out == ""
    one_line_error(err, "no model set 'nope'", "sets: btc")
    code, _, err = run(capsys, "models", "rollback", "nope", "--root", str(tmp_path))
    assert code == 2
    one_line_error(err, "no model set 'nope'")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["btc"]


def test_models_missing_root_and_version_are_errors(capsys, tmp_path):
    code, out, err = run(capsys, "models", "list", "--root", str(tmp_path / "none"))
    assert code == 2 and out == ""
    one_line_error(err, "model root not found", str(tmp_path / "none"))
    (tmp_path / "btc").mkdir()
    code, out, err = run(capsys, "models", "show", "btc", "v9", "--root", str(tmp_path))
    assert code == 2 and out == ""
    one_line_error(err, "btc/v9", "metrics.json")


def test_models_promote_with_missing_replay_names_the_file(capsys):
    code, _, err = run(
        capsys, "models", "promote", "btc-real", "wf-1", "--replay", "/nonexistent-run", "--root", "models"
    )
    assert code == 2
    one_line_error(err, "/nonexistent-run/report.json", "No such file")


def test_train_baseline_failure_leaves_no_out_dir(capsys, tmp_path):
    (tmp_path / "empty").mkdir()
    out = tmp_path / "models"
    code, _, err = run(capsys, "train", "baseline", "--data", str(tmp_path / "empty"), "--out", str(out))
    assert code == 2
    assert "manifest.json missing" in err and "Traceback" not in err
    assert not out.exists()


def test_train_walkforward_on_too_few_bars_says_so_and_leaves_nothing(capsys, tmp_path):
    csv = tmp_path / "BTCUSDT_tiny.csv"
    rows = [f"2023-03-01 00:{m:02d}:00+00:00,100,101,99,100,1" for m in range(50)]
    csv.write_text("open_time,open,high,low,close,volume\n" + "\n".join(rows) + "\n")
    rec = tmp_path / "rec"
    code, _, _ = run(capsys, "data", "import", "binance-klines", str(csv), "--out", str(rec))
    assert code == 0
    out = tmp_path / "wf"
    code, _, err = run(capsys, "train", "walkforward", "--data", str(rec), "--out", str(out))
    assert code == 2
    one_line_error(err, "too little data for the walk-forward folds", "shortest instrument 50 bars")
    assert not out.exists()


def test_train_failure_keeps_an_out_dir_the_user_already_had(capsys, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "keep.txt").write_text("user file")
    code, _, _ = run(capsys, "train", "baseline", "--data", str(tmp_path / "nope"), "--out", str(out))
    assert code == 2
    assert (out / "keep.txt").read_text() == "user file"


def test_options_oi_binary_snapshot_names_the_file(capsys, tmp_path):
    snapshot = tmp_path / "chain.csv"
    snapshot.write_bytes(b"\xff\xfe\x00garbage")
    code, out, err = run(capsys, "options-oi", str(snapshot), "--at", "2023-01-01T21:00:00Z")
    assert code == 2 and out == ""
    one_line_error(err, str(snapshot), "not UTF-8")


def test_starting_nav_beyond_nautilus_money_is_a_config_error(capsys, tmp_path):
    out = tmp_path / "run"
    code, _, err = run(capsys, "replay", "--out", str(out), "--set", "venue.starting_nav=1e308")
    assert code == 2
    one_line_error(err, "venue.starting_nav", "MONEY_MAX")
    assert not out.exists()


def test_unknown_policy_version_lists_the_configured_one(capsys, tmp_path):
    # before any commit the history is empty, yet the configured base version is valid: name it
    code, out, err = run(capsys, "policy", "show", "v999", "--state", str(tmp_path / "state"))
    assert code == 2 and out == ""
    one_line_error(err, "unknown policy version 'v999'", "known: baseline-1")


def test_postmortem_refuses_a_missing_run_and_creates_nothing(capsys, tmp_path):
    run_dir = tmp_path / "typo"
    code, out, err = run(capsys, "postmortem", "--run", str(run_dir), "--no-model")
    assert code == 2 and out == ""
    one_line_error(err, "not a run directory", str(run_dir))
    assert not run_dir.exists()


def test_postmortem_bad_trade_log_line_is_named(capsys, tmp_path):
    (tmp_path / "trades.jsonl").write_bytes(b"\x00\x01 not json\n")
    code, _, err = run(capsys, "postmortem", "--run", str(tmp_path), "--no-model")
    assert code == 2
    one_line_error(err, f"{tmp_path / 'trades.jsonl'}:1:")
    assert not (tmp_path / "postmortems").exists()


def test_diff_decisions_bracketed_missing_path_is_one_line(capsys, tmp_path):
    a = tmp_path / "[run a]" / "with a long enough name to pass eighty columns of a terminal"
    a.mkdir(parents=True)
    code, out, err = run(capsys, "diff-decisions", str(a), str(a))
    assert code == 2 and out == ""
    one_line_error(err, str(a / "decisions.jsonl"), "cannot read")
