"""``aureus policy rollback`` publishes the rollback on ``control`` for the node to apply (real broker)."""

from __future__ import annotations

import asyncio
import json

from aiokafka import AIOKafkaConsumer
from typer.testing import CliRunner

from adapters.state import EmbeddedFileStore
from aureus.cli import _mount_subcommands, app
from engine.config import AureusConfig
from engine.policy.bounds import PolicyLimits
from engine.policy.versions import PolicyStore, apply_and_commit
from schemas.codec import decode
from schemas.control import PolicyUpdate

_mount_subcommands()


async def read_one(bootstrap: str, topic: str):
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None
    )
    await consumer.start()
    try:
        while True:
            for records in (await consumer.getmany(timeout_ms=2000)).values():
                return records[0]
    finally:
        await consumer.stop()


def test_rollback_is_published_on_control(kafka_bootstrap, topic_prefix, tmp_path):
    cfg = AureusConfig()
    store = PolicyStore(EmbeddedFileStore(tmp_path / "state"), cfg.policy)
    update = PolicyUpdate(
        version="pv-000000000002",
        ts_event=1,
        source="operator",
        deltas={"blend_weights.mid": 0.05},
        reason="t",
    )
    apply_and_commit(store, update, PolicyLimits.from_config(cfg.risk, cfg.escalation))
    args = [
        "policy", "rollback", "baseline-1", "--by", "ops", "--state", str(tmp_path / "state"),
        "--set", f"kafka.bootstrap_servers={kafka_bootstrap}", "--set", f"kafka.topic_prefix={topic_prefix}",
        "--set", "kafka.enable_idempotence=false",
    ]  # fmt: skip
    result = CliRunner().invoke(app, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    record = asyncio.run(read_one(kafka_bootstrap, topic_prefix + "control"))
    sent = decode("control", record.value)
    assert (
        record.key == b"policy"
        and sent.source == "rollback"
        and sent.overrides == {"rollback_to": "baseline-1"}
    )
    assert sent.previous_version == "pv-000000000002" and sent.version == printed["update"]["version"]
    assert store.history()[-1] == "pv-000000000002"  # the node, not the CLI, writes the new version
