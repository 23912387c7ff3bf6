"""``aureus replay --via-kafka`` then ``aureus record`` through a real broker gives back the recording:
same content hash, record for record (real BTCUSDT bars plus scored news)."""

from __future__ import annotations

import json

import msgspec
from daemon_harness import BTCUSDT, invoke

from adapters.recorded import open_recording, write_recording
from schemas.market import NewsScored


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


async def test_record_writes_undecodable_messages_to_rejects(tmp_path, kafka_bootstrap, topic_prefix):
    from aiokafka import AIOKafkaProducer

    from adapters.kafka.recorder import record_topics
    from schemas import codec
    from schemas.dlq import DeadLetter
    from schemas.market import Bar

    bar = Bar(instrument="X.Y", interval_s=60, ts_event=60, open=1, high=1, low=1, close=1, volume=1)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    for value in (codec.encode("md.bars", bar), b"\xff garbage", b'{"type":"quote"}'):
        await producer.send_and_wait(topic_prefix + "md.bars", value, key=b"X.Y")
    await producer.stop()

    manifest = await record_topics(
        kafka_bootstrap, ["md.bars"], tmp_path / "R", prefix=topic_prefix, idle_timeout_s=2
    )
    assert manifest.rejects == 2 and manifest.topics[0].records == 1
    lines = (tmp_path / "R" / "rejects.jsonl").read_bytes().splitlines()
    letters = [msgspec.json.decode(line, type=DeadLetter) for line in lines]
    assert [d.raw for d in letters] == [b"\xff garbage", b'{"type":"quote"}'] and all(
        d.error for d in letters
    )
