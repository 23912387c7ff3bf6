"""alerts -> alert worker process -> loopback webhook + loopback Telegram Bot API, through a kill -9."""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
import redis
from worker_harness import WorkerProcess, garbage, overrides, produce, unique_letters, wait_for

sys.path.insert(0, str(Path(__file__).parents[2] / "streams" / "alerts"))
from loopback import CHAT_ID, TOKEN, Loopback  # noqa: E402

from adapters.alerts.sinks import alert_text  # noqa: E402
from engine.config import AlertSubscription  # noqa: E402
from schemas.alerts import Alert  # noqa: E402
from schemas.codec import encode  # noqa: E402
from streams.alerts.routing import alert_id, matches  # noqa: E402

T0 = 1_700_000_000 * 10**9
SEED_TEXTS = [
    ("critical", "kill_switch_armed", "Kill-switch armed—flattened; Demo tomorrow unless override"),
    ("warning", "quarantine_active", "Demo quarantine active—7 days remaining"),
    ("warning", "data_stall", "Data feed interrupted—holding positions"),
    ("warning", "reasoner_offline", "Local reasoner offline—using RL-only mode"),
    ("warning", "rl_model_missing", "RL models unavailable—reduced position sizing"),
    ("warning", "escalation_gpt5_unavailable", "GPT-5 unavailable—using local reasoner"),
    ("critical", "quarantine_activated", "Demo quarantine activated—GPT-5 override required"),
    ("info", "heartbeat", "node alive"),
]
HOOK = AlertSubscription(
    name="hook", sink="webhook", severity="warning", codes=("kill_*", "quarantine_*", "data_*")
)
TG = AlertSubscription(name="tg", sink="telegram", severity="critical")


def _alerts() -> list[Alert]:
    return [
        Alert(severity=sev, code=code, message=msg, ts_event=T0 + 1000 * i + j, source="test")
        for i in range(5)
        for j, (sev, code, msg) in enumerate(SEED_TEXTS)
    ]


def _config(path: Path, url: str) -> Path:
    path.write_text(f"""
[alerts]
telegram_token = "{TOKEN}"
telegram_chat_id = "{CHAT_ID}"
telegram_api_url = "{url}"
backoff_base_s = 0.05
max_attempts = 6

[[alerts.subscriptions]]
name = "hook"
sink = "webhook"
url = "{url}/hook"
severity = "warning"
codes = ["kill_*", "quarantine_*", "data_*"]

[[alerts.subscriptions]]
name = "tg"
sink = "telegram"
severity = "critical"
""")
    return path


def _record_ms(*logs: Path) -> list[float]:
    """``record_ms`` of every ``alert_delivered`` line: the sink's answer to the Redis record's ack."""
    out = []
    for path in logs:
        for line in path.read_text(errors="replace").splitlines():
            if "alert_delivered" not in line:
                continue
            try:
                event = json.loads(line[line.index("{") :])
            except ValueError:
                continue
            if event.get("event") == "alert_delivered":
                out.append(float(event["record_ms"]))
    return out


async def _until(predicate, timeout_s: float, worker: WorkerProcess) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and not predicate():
        worker.assert_alive()
        await asyncio.sleep(0.2)


@pytest.mark.slow
async def test_alert_worker_delivers_exactly_the_matching_alerts_across_a_kill_9(
    kafka_bootstrap, topic_prefix, tmp_path
):
    server = Loopback()
    await server.start()
    server.delay_s = 0.3  # slow receivers (webhook and Telegram): the kill lands mid-stream
    store_prefix = f"aureus-test:{uuid.uuid4().hex}:"
    alerts = _alerts()
    want_hook = [alert_id(a) for a in alerts if matches(HOOK, a)]
    want_tg = [alert_text(a) for a in alerts if matches(TG, a)]
    server.fail_next["webhook"] = [(503, None)]
    server.fail_next["telegram"] = [(429, 1)]
    bad = garbage("alerts", 10)
    messages = [("alerts", a.severity.encode(), encode("alerts", a)) for a in alerts]
    messages = messages[:10] + [("alerts", b"junk", v) for v in bad] + messages[10:]
    config = _config(tmp_path / "alerts.toml", server.url)
    args = overrides(kafka_bootstrap, topic_prefix, tmp_path / "faust") + [
        f"alerts.dead_letter_path={tmp_path / 'dead.jsonl'}",
        "alerts.delivery_log=redis",
        "store.redis_url=redis://127.0.0.1:6379/0",
        f"store.key_prefix={store_prefix}",
    ]
    try:
        first = WorkerProcess("alerts", args, tmp_path / "alerts-1.log", config_file=config)
        try:
            await produce(kafka_bootstrap, topic_prefix, messages)
            await _until(lambda: len(server.webhook_keys) >= len(want_hook) // 3, 120, first)
            first.kill9()
        finally:
            first.stop()
        at_kill, tg_at_kill = len(server.webhook_keys), len(server.telegram)
        second = WorkerProcess("alerts", args, tmp_path / "alerts-2.log", config_file=config)
        try:
            await _until(
                lambda: set(server.webhook_keys) >= set(want_hook) and len(server.telegram) >= len(want_tg),
                180,
                second,
            )
            await asyncio.sleep(2)
            second.assert_alive()
        finally:
            second.stop()
    finally:
        await server.stop()
    repeats = len(server.webhook_keys) - len(set(server.webhook_keys))
    tg_repeats = sum((Counter(b["text"] for b in server.telegram) - Counter(want_tg)).values())
    record_ms = _record_ms(tmp_path / "alerts-1.log", tmp_path / "alerts-2.log")
    client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    try:
        recorded = {k.decode().rsplit(":", 1)[1] for k in client.scan_iter(match=store_prefix + "*")}
        for key in client.scan_iter(match=store_prefix + "*"):
            client.delete(key)
    finally:
        client.close()
    print(
        f"alerts: {len(want_hook)} webhook + {len(want_tg)} telegram expected; {at_kill} webhook + "
        f"{tg_at_kill} telegram deliveries before kill -9; after restart {len(server.webhook_keys)} webhook "
        f"({repeats} repeated), {len(server.telegram)} telegram ({tg_repeats} repeated); "
        f"answer->Redis record: median {statistics.median(record_ms):.2f} ms, max {max(record_ms):.2f} ms "
        f"over {len(record_ms)} deliveries"
    )
    assert {alert_id(a) for a in alerts if matches(HOOK, a) or matches(TG, a)} <= recorded
    assert set(server.webhook_keys) == set(want_hook)
    got_tg = Counter(b["text"] for b in server.telegram)
    assert not Counter(want_tg) - got_tg, "a Telegram alert was lost"
    assert sum((got_tg - Counter(want_tg)).values()) + repeats <= 1, (
        "more than the delivery in flight was repeated"
    )
    assert not (tmp_path / "dead.jsonl").exists()
    letters = await wait_for(kafka_bootstrap, topic_prefix, "dlq.alerts", len(bad), 30)
    assert sorted(unique_letters("dlq.alerts", letters)) == sorted(bad)
