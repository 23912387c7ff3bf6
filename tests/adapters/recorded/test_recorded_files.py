"""Recorded-stream files: round trips, ordering, determinism, hashes, verify() and error paths."""

from __future__ import annotations

import gzip
import json
import tempfile
from pathlib import Path

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.errors import RecordingError, RecordingIntegrityError
from adapters.recorded import (
    MANIFEST_FILE,
    RecordingWriter,
    open_recording,
    to_record,
    topic_file_name,
    write_recording,
)
from schemas.errors import AureusError
from schemas.market import Bar, NewsRaw, NewsScored, Quote, Trade
from schemas.recording import InstrumentSpec

SPEC = InstrumentSpec(
    instrument_id="BTCUSDT.BINANCE",
    kind="crypto_spot",
    base_currency="BTC",
    quote_currency="USDT",
    price_precision=2,
    size_precision=6,
)
T0 = 1_700_000_000_000_000_000
S = 1_000_000_000


def sample_payloads() -> list:
    return [
        Bar(instrument="BTCUSDT.BINANCE", interval_s=60, ts_event=T0 + 60 * S,
            open=100.0, high=101.5, low=99.25, close=100.75, volume=1.234567),
        Bar(instrument="ETHUSDT.BINANCE", interval_s=60, ts_event=T0 + 60 * S,
            open=10.0, high=10.5, low=9.5, close=10.25, volume=3.0),
        Quote(instrument="BTCUSDT.BINANCE", ts_event=T0 + 30 * S, bid=100.0, ask=100.01, bid_size=2.0),
        Trade(instrument="BTCUSDT.BINANCE", ts_event=T0 + 31 * S, price=100.0, size=0.5,
              aggressor="BUYER", trade_id="t-1"),
        NewsRaw(source="benzinga", ts_event=T0 + 5 * S, headline="Héadline, with \"quotes\"\nand a newline",
                instruments=("AAPL.NASDAQ", "MSFT.NASDAQ"), url="https://example.invalid/x"),
        NewsScored(source="benzinga", ts_event=T0 + 60 * S, instrument="AAPL.NASDAQ",
                   headline="h", sentiment=-0.75, relevance=0.5, scorer="finbert"),
    ]  # fmt: skip


def write(path: Path, payloads: list, **kwargs) -> object:
    return write_recording(path, payloads, source="test", synthetic=False, instruments=[SPEC], **kwargs)


def test_round_trip_every_payload_type(tmp_path: Path) -> None:
    payloads = sample_payloads()

    manifest = write(tmp_path / "rec", payloads)
    recording = open_recording(tmp_path / "rec")

    expected_topics = {"md.bars": 2, "md.quotes": 1, "md.trades": 1, "news.raw": 1, "news.scored": 1}
    assert {t.topic: t.records for t in manifest.topics} == expected_topics
    assert recording.topics == tuple(sorted(expected_topics))
    read = [r.payload for t in recording.topics for r in recording.iter_topic(t)]
    assert sorted(map(repr, read)) == sorted(map(repr, payloads))
    assert set(read) == set(payloads)
    keys = {r.topic: r.key for t in recording.topics for r in recording.iter_topic(t) if r.topic != "md.bars"}
    assert keys == {
        "md.quotes": "BTCUSDT.BINANCE",
        "md.trades": "BTCUSDT.BINANCE",
        "news.raw": "benzinga",
        "news.scored": "AAPL.NASDAQ",
    }
    assert manifest.start_ns == T0 + 5 * S and manifest.end_ns == T0 + 60 * S
    assert recording.manifest == manifest
    assert recording.verify() == manifest


def test_iter_all_merges_by_time_with_stable_topic_then_key_order(tmp_path: Path) -> None:
    write(tmp_path / "rec", list(reversed(sample_payloads())))

    merged = list(open_recording(tmp_path / "rec").iter_all())

    order = [(r.ts_event, r.topic, r.key) for r in merged]
    assert order == sorted(order)
    assert [r.topic for r in merged if r.ts_event == T0 + 60 * S] == ["md.bars", "md.bars", "news.scored"]
    assert [r.key for r in merged if r.topic == "md.bars"] == ["BTCUSDT.BINANCE", "ETHUSDT.BINANCE"]


def test_same_records_in_any_order_give_identical_bytes(tmp_path: Path) -> None:
    payloads = sample_payloads()

    first = write(tmp_path / "a", payloads)
    second = write(tmp_path / "b", list(reversed(payloads)))

    assert first.content_hash == second.content_hash
    for name in [MANIFEST_FILE, *(t.file for t in first.topics)]:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_gzip_header_has_no_time_and_no_file_name(tmp_path: Path) -> None:
    write(tmp_path / "rec", sample_payloads())

    head = (tmp_path / "rec" / topic_file_name("md.bars")).read_bytes()[:10]

    assert head[:2] == b"\x1f\x8b"
    assert head[3] & 0x08 == 0  # FNAME flag clear
    assert head[4:8] == b"\x00\x00\x00\x00"  # mtime 0


def test_content_hash_changes_when_one_value_changes(tmp_path: Path) -> None:
    payloads = sample_payloads()
    last = payloads[-1]
    changed = [*payloads[:-1], msgspec.structs.replace(last, sentiment=-0.74)]

    first = write(tmp_path / "a", payloads)
    second = write(tmp_path / "b", changed)

    assert first.content_hash != second.content_hash
    scored = {t.topic: t.sha256 for t in first.topics}, {t.topic: t.sha256 for t in second.topics}
    assert scored[0]["news.scored"] != scored[1]["news.scored"]
    assert scored[0]["md.bars"] == scored[1]["md.bars"]


def test_verify_names_the_file_whose_byte_changed(tmp_path: Path) -> None:
    write(tmp_path / "rec", sample_payloads())
    target = tmp_path / "rec" / topic_file_name("md.quotes")
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01
    target.write_bytes(bytes(data))

    with pytest.raises(RecordingIntegrityError, match="sha256 mismatch") as caught:
        open_recording(tmp_path / "rec").verify()

    assert caught.value.path == target
    assert "md.quotes.jsonl.gz" in str(caught.value)


def test_verify_catches_a_tampered_manifest_content_hash(tmp_path: Path) -> None:
    write(tmp_path / "rec", sample_payloads())
    manifest_path = tmp_path / "rec" / MANIFEST_FILE
    document = json.loads(manifest_path.read_text())
    document["content_hash"] = "0" * 64
    manifest_path.write_text(json.dumps(document))

    with pytest.raises(RecordingIntegrityError, match="content_hash mismatch"):
        open_recording(tmp_path / "rec").verify()


def test_corrupt_line_raises_with_path_and_line_number(tmp_path: Path) -> None:
    write(tmp_path / "rec", sample_payloads())
    target = tmp_path / "rec" / topic_file_name("md.bars")
    lines = gzip.decompress(target.read_bytes()).splitlines(keepends=True)
    target.write_bytes(gzip.compress(lines[0] + b'{"topic": "md.bars", "broken\n', mtime=0))

    recording = open_recording(tmp_path / "rec")
    with pytest.raises(RecordingError) as caught:
        list(recording.iter_topic("md.bars"))

    assert caught.value.path == target and caught.value.line == 2
    assert "line 2" in str(caught.value)
    assert isinstance(caught.value, AureusError)


def test_truncated_gzip_raises_recording_error(tmp_path: Path) -> None:
    write(tmp_path / "rec", sample_payloads())
    target = tmp_path / "rec" / topic_file_name("md.bars")
    target.write_bytes(target.read_bytes()[:-12])

    with pytest.raises(RecordingError, match="md.bars.jsonl.gz"):
        list(open_recording(tmp_path / "rec").iter_topic("md.bars"))


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("none", "recording directory not found"),
        ("empty", "manifest.json missing"),
        ("garbage", "invalid manifest"),
    ],
)
def test_open_recording_errors_name_the_path(tmp_path: Path, setup: str, message: str) -> None:
    target = tmp_path / "rec"
    if setup != "none":
        target.mkdir()
    if setup == "garbage":
        (target / MANIFEST_FILE).write_text('{"source": 3}')

    with pytest.raises(RecordingError, match=message) as caught:
        open_recording(target)

    assert str(target) in str(caught.value)


def test_unknown_topic_and_missing_topic_file(tmp_path: Path) -> None:
    write(tmp_path / "rec", sample_payloads())
    recording = open_recording(tmp_path / "rec")
    (tmp_path / "rec" / topic_file_name("md.trades")).unlink()

    with pytest.raises(RecordingError, match="not in recording"):
        list(recording.iter_topic("signals"))
    with pytest.raises(RecordingError, match="topic file missing"):
        list(recording.iter_topic("md.trades"))
    with pytest.raises(RecordingIntegrityError, match="md.trades"):
        recording.verify()


def test_existing_recording_needs_overwrite_and_overwrite_removes_stale_topics(tmp_path: Path) -> None:
    write(tmp_path / "rec", sample_payloads())

    with pytest.raises(RecordingError, match="already exists"):
        write(tmp_path / "rec", sample_payloads()[:1])
    manifest = write(tmp_path / "rec", sample_payloads()[:1], overwrite=True)

    assert [t.topic for t in manifest.topics] == ["md.bars"]
    assert sorted(p.name for p in (tmp_path / "rec").iterdir()) == [MANIFEST_FILE, "md.bars.jsonl.gz"]
    assert open_recording(tmp_path / "rec").verify() == manifest


def test_writer_context_manager_writes_on_exit_and_not_on_error(tmp_path: Path) -> None:
    with RecordingWriter(tmp_path / "ok", source="s", synthetic=True, instruments=[SPEC]) as writer:
        writer.extend(sample_payloads())
        writer.add_record(to_record(sample_payloads()[0]))
    with pytest.raises(ValueError), RecordingWriter(tmp_path / "bad", source="s", synthetic=True,
                                                    instruments=[SPEC]) as failing:  # fmt: skip
        failing.add(sample_payloads()[0])
        raise ValueError("boom")

    assert writer.manifest is not None and writer.manifest.synthetic
    assert {t.topic: t.records for t in writer.manifest.topics}["md.bars"] == 3
    assert not (tmp_path / "bad" / MANIFEST_FILE).exists()


bars = st.builds(
    Bar,
    instrument=st.sampled_from(["A.SIM", "B.SIM", "C.SIM"]),
    interval_s=st.just(60),
    ts_event=st.integers(min_value=0, max_value=2**62),
    open=st.floats(min_value=1e-6, max_value=1e9),
    high=st.floats(min_value=1e-6, max_value=1e9),
    low=st.floats(min_value=1e-6, max_value=1e9),
    close=st.floats(min_value=1e-6, max_value=1e9),
    volume=st.floats(min_value=0, max_value=1e12),
)


@settings(max_examples=40, deadline=None)
@given(st.lists(bars, max_size=30))
def test_property_read_returns_what_was_written_sorted(payloads: list[Bar]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        manifest = write(Path(tmp) / "rec", payloads)
        read = [r.payload for r in open_recording(Path(tmp) / "rec").iter_all()]

    expected = sorted(payloads, key=lambda b: (b.ts_event, b.instrument))
    assert [(b.ts_event, b.instrument) for b in read] == [(b.ts_event, b.instrument) for b in expected]
    assert sorted(map(repr, read)) == sorted(map(repr, payloads))
    assert sum(t.records for t in manifest.topics) == len(payloads)
