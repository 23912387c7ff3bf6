"""``aureus data`` commands through typer's CliRunner against ``data_app`` directly."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.recorded import open_recording, topic_file_name
from aureus.cli_data import data_app

runner = CliRunner()


def invoke(*args: str):  # noqa: ANN201
    return runner.invoke(data_app, list(args), terminal_width=200)


@pytest.mark.parametrize("command", [[], ["import"], ["synth"], ["verify"]])
def test_every_command_has_help(command: list[str]) -> None:
    result = invoke(*command, "--help")

    assert result.exit_code == 0
    assert "Usage" in result.output


def test_import_real_klines_prints_counts_and_location(tmp_path: Path, btcusdt_csv: Path) -> None:
    result = invoke("import", "binance-klines", str(btcusdt_csv), "--out", str(tmp_path / "rec"))

    assert result.exit_code == 0, result.output
    assert "30,240" in result.output
    assert str(tmp_path / "rec") in result.output
    assert "BTCUSDT.BINANCE" in result.output
    assert open_recording(tmp_path / "rec").manifest.topics[0].records == 30_240


def test_import_summarises_rejects_by_reason_with_line_numbers(
    tmp_path: Path, bad_klines_csv: Path, bad_klines_expected: dict[int, str]
) -> None:
    result = invoke("import", "binance-klines", str(bad_klines_csv), "-o", str(tmp_path / "rec"))

    # 7 of 12 rows rejected is over the default --max-reject-pct 5: exit 2, the recording is still written
    assert result.exit_code == 2, result.output
    assert "7 of 12 rows rejected" in result.output and open_recording(tmp_path / "rec").verify()
    assert "rejected rows" in result.output
    for reason in set(bad_klines_expected.values()):
        assert reason in result.output
    assert "3, 12" in result.output  # both missing_value lines
    assert f"rejects {len(bad_klines_expected)}" in result.output


def test_import_failures_exit_non_zero_with_a_message(tmp_path: Path) -> None:
    empty = tmp_path / "BTCUSDT_1m.csv"
    empty.write_text("open_time,open,high,low,close,volume\n1677628800,0,0,0,0,0\n")

    no_rows = invoke("import", "binance-klines", str(empty), "--out", str(tmp_path / "a"))
    missing = invoke("import", "binance-klines", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "b"))
    bad_kind = invoke("import", "excel", str(empty), "--out", str(tmp_path / "c"))

    assert no_rows.exit_code == 2 and "no valid rows" in no_rows.output
    assert missing.exit_code == 2 and "not found" in missing.output
    assert bad_kind.exit_code == 2
    assert not (tmp_path / "a").exists()


def test_synth_then_refuse_overwrite_then_force_then_verify(tmp_path: Path) -> None:
    out = str(tmp_path / "rec")

    first = invoke("synth", "--seed", "7", "--out", out, "--days", "2", "--instruments", "3")
    again = invoke("synth", "--seed", "7", "--out", out, "--days", "2")
    forced = invoke("synth", "--seed", "7", "--out", out, "--days", "2", "--instruments", "3", "--force")
    verified = invoke("verify", out)

    assert first.exit_code == 0, first.output
    assert "8,640" in first.output and "synthetic:seed=7" in first.output
    assert again.exit_code == 2 and "already exists" in again.output
    assert forced.exit_code == 0
    assert verified.exit_code == 0 and "verified" in verified.output


def test_verify_fails_on_a_changed_byte(tmp_path: Path) -> None:
    invoke("synth", "--seed", "1", "--out", str(tmp_path / "rec"), "--days", "2")
    target = tmp_path / "rec" / topic_file_name("news.raw")
    data = bytearray(target.read_bytes())
    data[-1] ^= 0xFF
    target.write_bytes(bytes(data))

    result = invoke("verify", str(tmp_path / "rec"))

    assert result.exit_code == 2
    assert "news.raw.jsonl.gz" in result.output and "sha256 mismatch" in result.output
