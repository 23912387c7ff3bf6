"""``aureus diff-decisions``: equal streams exit 0, the first difference exits 1, bad input exits 2."""

import subprocess
import sys

import msgspec

from schemas.signals import EnsembleDecision

_JSON = msgspec.json.Encoder()


def _decision(ts: int, score: float = 0.4, action: str = "HOLD") -> EnsembleDecision:
    return EnsembleDecision(
        instrument="BTCUSDT.BINANCE",
        ts_event=ts,
        p_short=0.5,
        p_mid=0.45,
        ppo_hint=None,
        base=0.47,
        penalties={"low_liquidity": 0.05},
        score=score,
        action=action,
        size=0.0,
        reason_tags=("rl_missing",),
        policy_version="p1",
        weights={"short": 0.6, "mid": 0.4, "rl": 0.0},
        rl_available=False,
    )


def _write(path, decisions):
    path.write_bytes(b"".join(_JSON.encode(d) + b"\n" for d in decisions))
    return path


def _diff(a, b):
    return subprocess.run(
        [sys.executable, "-m", "aureus", "diff-decisions", str(a), str(b)], capture_output=True, text=True
    )


def test_equal_streams_and_run_directories_exit_zero(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    _write(run / "decisions.jsonl", [_decision(1), _decision(2)])
    other = _write(tmp_path / "b.jsonl", [_decision(1), _decision(2)])

    result = _diff(run, other)

    assert result.returncode == 0, result.stderr
    assert "equal" in result.stdout


def test_the_first_difference_is_printed_with_its_fields(tmp_path):
    a = _write(tmp_path / "a.jsonl", [_decision(1), _decision(2), _decision(3)])
    b = _write(tmp_path / "b.jsonl", [_decision(1), _decision(2, score=0.9, action="BUY"), _decision(4)])

    result = _diff(a, b)

    assert result.returncode == 1
    assert "record 2" in result.stdout and "ts_event=2" in result.stdout
    assert "score" in result.stdout and "action" in result.stdout and "'HOLD' != 'BUY'" in result.stdout


def test_a_shorter_stream_differs_at_its_end(tmp_path):
    a = _write(tmp_path / "a.jsonl", [_decision(1)])
    b = _write(tmp_path / "b.jsonl", [_decision(1), _decision(2)])

    result = _diff(a, b)

    assert result.returncode == 1
    assert "record 2: only" in result.stdout and str(b) in result.stdout


def test_bad_input_exits_two_naming_the_file_and_line(tmp_path):
    a = _write(tmp_path / "a.jsonl", [_decision(1)])
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(_JSON.encode(_decision(1)) + b"\n" + b'{"type":"ensemble_decision","score":"x"}\n')

    broken = _diff(a, bad)
    missing = _diff(a, tmp_path / "nope.jsonl")

    assert broken.returncode == 2 and "bad.jsonl:2" in broken.stderr
    assert missing.returncode == 2 and "nope.jsonl" in missing.stderr
