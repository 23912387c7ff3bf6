"""``aureus replay --via-kafka`` then ``aureus record`` through a real broker gives back the recording:
same content hash, record for record (real BTCUSDT bars plus scored news)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from adapters.recorded import open_recording, write_recording
from aureus.cli import _mount_subcommands, app
from aureus.paths import REPO_ROOT
from schemas.market import NewsScored

BTCUSDT = (
    REPO_ROOT.parent / "shared" / "data" / "crypto_1m_2023-03_binanceus" / "BTCUSDT_1m_20230301_20230321.csv"
)

_mount_subcommands()
runner = CliRunner()


def invoke(*args: str) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_replay_via_kafka_then_record_round_trips(tmp_path, kafka_bootstrap, topic_prefix):
    csv = tmp_path / "btc.csv"
    csv.write_text("".join(BTCUSDT.read_text().splitlines(keepends=True)[:601]))  # header + 10 hours
    bars = tmp_path / "BARS"
    invoke("data", "import", "binance-klines", str(csv), "--symbol", "BTC/USDT", "--out", str(bars))
    source = open_recording(bars)
    records = list(source.iter_all())
    news = [
        NewsScored(
            source="wire", ts_event=r.ts_event, instrument="BTCUSDT.BINANCE", headline=f"h{i}", sentiment=0.2
        )
        for i, r in enumerate(records[::100])
    ]
    rec = tmp_path / "REC"
    original = write_recording(
        rec, [*records, *news], source="test", synthetic=False, instruments=source.manifest.instruments
    )
    sets = [
        "--set",
        f'kafka.bootstrap_servers="{kafka_bootstrap}"',
        "--set",
        f'kafka.topic_prefix="{topic_prefix}"',
        "--set",
        "kafka.enable_idempotence=false",
    ]

    out = invoke("replay", "--data", str(rec), "--via-kafka", *sets)
    assert "'md.bars': 600" in out and "'news.scored': 6" in out
    back = tmp_path / "BACK"
    invoke(
        "record",
        "--topics",
        "md.bars,news.scored",
        "--out",
        str(back),
        "--instruments",
        str(rec),
        "--idle-timeout",
        "3",
        *sets,
    )

    manifest = json.loads((back / "manifest.json").read_text())
    assert manifest["content_hash"] == original.content_hash
    assert {t["topic"]: t["records"] for t in manifest["topics"]} == {"md.bars": 600, "news.scored": 6}
    assert manifest["rejects"] == 0
    assert list(open_recording(back).iter_all()) == list(open_recording(rec).iter_all())
