"""``aureus worker escalation`` as a process on the real broker: a request on ``escalations`` becomes a
bounded policy update on ``control`` and its alert on ``alerts``; garbage goes to ``dlq.escalations``."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from escalation_helpers import REGIME_ANSWER, REGIME_BODY, request
from llm_server import Json

from schemas.codec import decode, encode

REPO_ROOT = Path(__file__).resolve().parents[3]


async def produce(bootstrap: str, topic: str, items: list[tuple[bytes, bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for key, value in items:
            await producer.send_and_wait(topic, value, key=key)
    finally:
        await producer.stop()


async def consume(bootstrap: str, topics: list[str], want: int, timeout_s: float) -> list:
    consumer = AIOKafkaConsumer(
        *topics, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None
    )
    await consumer.start()
    got, deadline = [], time.monotonic() + timeout_s
    try:
        while len(got) < want and time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                got.extend(records)
    finally:
        await consumer.stop()
    return got


@pytest.mark.slow
def test_worker_process_turns_a_request_into_a_control_update(
    kafka_bootstrap, topic_prefix, llm_server, redis_prefix, tmp_path
):
    llm_server.script(openai=[Json(REGIME_ANSWER)])
    asyncio.run(
        produce(
            kafka_bootstrap,
            topic_prefix + "escalations",
            [
                (b"REGIME_AUDITOR", b"not json"),
                (b"REGIME_AUDITOR", encode("escalations", request("REGIME_AUDITOR", REGIME_BODY, "w-1"))),
            ],
        )
    )
    env = {
        **os.environ,
        "OPENAI_BASE_URL": llm_server.openai_url,
        "OPENAI_API_KEY": "test",
        "OLLAMA_HOST": llm_server.ollama_url,
        "AUREUS_REDIS_URL": "redis://127.0.0.1:6379/0",
    }
    args = [
        sys.executable, "-m", "aureus", "worker", "escalation",
        "--set", f"kafka.bootstrap_servers={kafka_bootstrap}", "--set", f"kafka.topic_prefix={topic_prefix}",
        "--set", "workers.idempotent_producer=false", "--set", f"store.key_prefix={redis_prefix}",
        "--set", f"store.path={tmp_path / 'state'}", "--set", f"workers.data_dir={tmp_path / 'faust'}",
    ]  # fmt: skip
    worker = subprocess.Popen(
        args,
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(REPO_ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        names = [topic_prefix + t for t in ("control", "alerts", "dlq.escalations")]
        records = asyncio.run(consume(kafka_bootstrap, names, want=3, timeout_s=150))
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            out = worker.communicate(timeout=30)[0].decode(errors="replace")
        except subprocess.TimeoutExpired:
            worker.kill()
            out = worker.communicate()[0].decode(errors="replace")
    by_topic = {r.topic.removeprefix(topic_prefix): r for r in records}
    assert set(by_topic) == {"control", "alerts", "dlq.escalations"}, out[-3000:]
    update = decode("control", by_topic["control"].value)
    assert update.request_id == "w-1" and update.source == "gpt5" and by_topic["control"].key == b"policy"
    assert decode("alerts", by_topic["alerts"].value).message == "Escalation to GPT-5: Regime Auditor (1/3)"
    assert decode("dlq.escalations", by_topic["dlq.escalations"].value).raw == b"not json"
    assert llm_server.openai.hits == 1
