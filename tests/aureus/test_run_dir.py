"""The run directory: one complete run or the previous one at ``--out``, a lock, no lost state."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aureus.run_dir import COMPLETE_FILE, RunDirectory, RunDirectoryError


def _run(out: Path, text: str, *, fail: bool = False) -> None:
    with RunDirectory(out) as run:
        (run.path / "report.json").write_text(text)
        run.state_dir.mkdir()
        (run.state_dir / "risk.state").write_text(text)
        if fail:
            raise RuntimeError("boom")
        run.commit(run_id=text)


def test_commit_points_out_at_a_complete_run(tmp_path: Path) -> None:
    out = tmp_path / "runs" / "latest"
    _run(out, "one")
    assert out.is_symlink() and (out / "report.json").read_text() == "one"
    assert json.loads((out / COMPLETE_FILE).read_text()) == {"complete": True, "run_id": "one"}
    _run(out, "two")
    assert (out / "report.json").read_text() == "two"
    assert len(list((tmp_path / "runs" / ".latest.runs").iterdir())) == 1  # the previous run is gone


def test_a_failed_run_keeps_the_previous_run_and_its_state(tmp_path: Path) -> None:
    out = tmp_path / "latest"
    _run(out, "one")
    with pytest.raises(RuntimeError):
        _run(out, "two", fail=True)
    assert (out / "report.json").read_text() == "one"
    assert (out / "state" / "risk.state").read_text() == "one"
    assert len(list((tmp_path / ".latest.runs").iterdir())) == 1


def test_a_second_run_into_the_same_out_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "latest"
    with RunDirectory(out), pytest.raises(RunDirectoryError, match="another run is writing"):
        RunDirectory(out).__enter__()
    _run(out, "after")  # the lock is released when the first run ends
    assert (out / "report.json").read_text() == "after"


def test_previous_state_can_be_carried_into_the_new_run(tmp_path: Path) -> None:
    out = tmp_path / "latest"
    _run(out, "one")
    with RunDirectory(out) as run:
        run.copy_previous_state()
        assert (run.state_dir / "risk.state").read_text() == "one"
        assert (out / "state" / "risk.state").read_text() == "one"  # still there while the run goes


def test_an_old_plain_output_directory_is_adopted(tmp_path: Path) -> None:
    out = tmp_path / "latest"
    (out / "state").mkdir(parents=True)
    (out / "report.json").write_text("old")
    with RunDirectory(out) as run:
        assert (out / "report.json").read_text() == "old" and out.is_symlink()
        (run.path / "report.json").write_text("new")
        run.commit()
    assert (out / "report.json").read_text() == "new"


@pytest.mark.parametrize("content", [{"notes.txt": "mine"}, {"report.json": "x", "thesis.tex": "mine"}])
def test_a_directory_that_is_not_replay_output_is_refused_untouched(tmp_path: Path, content: dict) -> None:
    out = tmp_path / "home"
    out.mkdir()
    for name, text in content.items():
        (out / name).write_text(text)
    with pytest.raises(RunDirectoryError, match="--out"):
        RunDirectory(out).__enter__()
    assert not out.is_symlink() and sorted(p.name for p in out.iterdir()) == sorted(content)
