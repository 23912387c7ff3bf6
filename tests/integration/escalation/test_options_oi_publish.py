"""``aureus options-oi SNAPSHOT --at T --publish`` puts the real snapshot's open interest on md.options_oi."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from aiokafka import AIOKafkaConsumer
from typer.testing import CliRunner

from adapters.importers.options_oi import read_put_call_snapshot
from aureus.cli import _mount_subcommands, app
from schemas.codec import decode
from schemas.tradelog import parse_iso_utc

_mount_subcommands()
SNAPSHOT = (
    Path(__file__).resolve().parents[3].parent
    / "shared"
    / "data"
    / "options_chain_snapshot"
    / "options_data.csv"
)


async def read_all(bootstrap: str, topic: str, want: int):
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None
    )
    await consumer.start()
    out = []
    try:
        for _ in range(30):
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                out.extend(records)
            if len(out) >= want:
                return out
        return out
    finally:
        await consumer.stop()


def test_snapshot_is_published_keyed_by_underlying(kafka_bootstrap, topic_prefix):
    at = "2023-03-10T21:00:00Z"
    args = [
        "options-oi", str(SNAPSHOT), "--at", at, "--publish",
        "--set", f"kafka.bootstrap_servers={kafka_bootstrap}", "--set", f"kafka.topic_prefix={topic_prefix}",
        "--set", "kafka.enable_idempotence=false",
    ]  # fmt: skip
    result = CliRunner().invoke(app, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    expected = read_put_call_snapshot(SNAPSHOT).messages(parse_iso_utc(at))
    assert len(printed["messages"]) == len(expected) and printed["rejects"] == []
    records = asyncio.run(read_all(kafka_bootstrap, topic_prefix + "md.options_oi", len(expected)))
    got = [decode("md.options_oi", r.value) for r in records]
    # keyed by underlying, so spread over partitions: order holds per key only
    assert sorted(got, key=lambda m: m.instrument) == expected
    assert all(r.key == m.instrument.encode() for r, m in zip(records, got, strict=True))
    dia = next(m for m in got if m.instrument == "DIA")
    assert dia.ratio > 1.6
