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
