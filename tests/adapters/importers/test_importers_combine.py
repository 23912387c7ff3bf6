"""One recording from several kinds: StockNet tweets added onto StockNet bars; manifest edits are caught."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adapters.errors import RecordingError, RecordingIntegrityError
from adapters.importers import import_files
from adapters.recorded import MANIFEST_FILE, open_recording

DATA = Path(__file__).resolve().parents[4] / "shared" / "data"
PRICES = DATA / "stocknet_daily_88" / "price_raw"
TWEETS = DATA / "stocknet_tweets" / "stocknet_tweets_preprocessed.jsonl.gz"
TICKERS = ("AAPL", "XOM")


@pytest.fixture(scope="module")
def combined(tmp_path_factory) -> tuple[Path, object, object]:
    rec = tmp_path_factory.mktemp("stocknet") / "REC"
    bars = import_files("yahoo-daily", [PRICES / f"{t}.csv" for t in TICKERS], rec)
    tweets = import_files("stocknet-tweets", [TWEETS], rec, add=True)
    return rec, bars, tweets


def test_tweets_join_the_bars_in_one_recording(combined) -> None:
    rec, bars, tweets = combined
    manifest = open_recording(rec).verify()

    assert [t.topic for t in manifest.topics] == ["md.bars", "news.raw"]
    assert manifest.topics[0] == bars.manifest.topics[0]  # the bars are carried over byte for byte
    assert manifest.content_hash != bars.manifest.content_hash
    assert [s.instrument_id for s in manifest.instruments] == ["AAPL.SIM", "XOM.SIM"]  # no invented NASDAQ
    assert manifest.source == "import:yahoo-daily+import:stocknet-tweets"
    news = [r.payload for r in open_recording(rec).iter_topic("news.raw")]
    assert len(news) == manifest.topics[1].records == tweets.files[0].accepted
    assert (
        tweets.files[0].rows == 106_338
        and len(tweets.rejects) == tweets.files[0].rows - tweets.files[0].accepted
    )
    ours = [n for n in news if n.instruments[0] in ("AAPL.SIM", "XOM.SIM")]
    assert ours and all(manifest.start_ns <= n.ts_event for n in ours)
    assert "news items name no instrument of the recording" in manifest.notes
    assert all(r.reason == "duplicate_row" for r in tweets.rejects)


def test_adding_a_topic_twice_is_refused_and_leaves_the_recording(combined) -> None:
    rec, _, _ = combined
    before = (rec / MANIFEST_FILE).read_bytes()
    with pytest.raises(RecordingError, match="already has news.raw"):
        import_files("stocknet-tweets", [TWEETS], rec, add=True)
    assert (rec / MANIFEST_FILE).read_bytes() == before


def test_add_needs_an_existing_recording(tmp_path: Path) -> None:
    with pytest.raises(RecordingError, match="needs an existing recording"):
        import_files("stocknet-tweets", [TWEETS], tmp_path / "none", add=True)


@pytest.mark.parametrize(
    ("edit", "value"),
    [(("instruments", 0, "bucket"), "penny"), (("instruments", 0, "price_precision"), 0), (("end_ns",), 1)],
)
def test_verify_catches_an_edited_spec_or_time_range(tmp_path: Path, edit: tuple, value: object) -> None:
    rec = tmp_path / "rec"
    import_files("yahoo-daily", [PRICES / "AAPL.csv"], rec)
    document = json.loads((rec / MANIFEST_FILE).read_text())
    target = document
    for key in edit[:-1]:
        target = target[key]
    target[edit[-1]] = value
    (rec / MANIFEST_FILE).write_text(json.dumps(document))

    with pytest.raises(RecordingIntegrityError, match="content_hash mismatch"):
        open_recording(rec).verify()
