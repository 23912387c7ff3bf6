"""Data stall: an instrument's feed stops for two hours mid-run. The engine clock's timer notices it after
``timeout_bars`` bar intervals: the instrument goes to REDUCING (entries blocked, pending entries cancelled,
positions and resting stops kept), the seed's alert is raised, and it is ACTIVE again at the next bar."""

import json
from pathlib import Path

import pytest

from adapters.recorded import RecordingWriter
from adapters.synthetic import generate_session
from aureus.replay import run_replay
from engine.config import load_config
from schemas.market import Bar

NS_MIN = 60 * 10**9


@pytest.fixture(scope="module")
def gapped_recording(tmp_path_factory) -> tuple[Path, str, int, int]:
    session = generate_session(11, days=2, n_instruments=2)
    stalled = session.instruments[1].instrument_id
    bars = [p for p in session.payloads if isinstance(p, Bar)]
    gap_start = bars[0].ts_event + 30 * 60 * NS_MIN  # 30 hours in, well after the feature warm-up
    gap_end = gap_start + 120 * NS_MIN
    kept = [
        p
        for p in session.payloads
        if not (isinstance(p, Bar) and p.instrument == stalled and gap_start <= p.ts_event < gap_end)
    ]
    path = tmp_path_factory.mktemp("gap") / "rec"
    writer = RecordingWriter(path, source="synthetic:seed=11 with a 2-hour gap", synthetic=True,
                             instruments=session.instruments)  # fmt: skip
    writer.extend(kept)
    writer.close()
    return path, stalled, gap_start, gap_end


def test_stall_is_seen_on_the_engine_clock_and_trading_resumes_with_the_feed(gapped_recording, tmp_path):
    path, stalled, gap_start, gap_end = gapped_recording
    report = run_replay(load_config(overrides=["replay.progress=false"]), data=path, out=tmp_path / "run")

    assert report["data_stalls"] == 1
    events = [json.loads(line) for line in (tmp_path / "run" / "risk_events.jsonl").read_text().splitlines()]
    changes = [e for e in events if e["type"] == "trading_state_changed" and e["instrument"] == stalled]
    assert [(e["current"], e["reason"]) for e in changes] == [
        ("REDUCING", "data_stall"),
        ("ACTIVE", "data_resumed"),
    ]
    timeout = 5 * NS_MIN  # risk.data_stall.timeout_bars = 5 one-minute bars
    assert gap_start + timeout <= changes[0]["ts_event"] <= gap_start + 2 * timeout
    assert changes[1]["ts_event"] == gap_end
    # one alert per gap would swamp a report: the stall alerts are counted and summarised per instrument
    assert report["alerts_summarised"]["data_stall"] == 1
    summary = report["data_stall_summary"][stalled]
    assert summary["stalls"] == 1
    assert summary["longest_stall_s"] == (changes[1]["ts_event"] - changes[0]["ts_event"]) / 1e9
