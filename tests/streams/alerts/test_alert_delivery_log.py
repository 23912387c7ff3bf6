"""Delivered alert ids recorded in Redis (SET NX with a TTL) survive a restart, and HTTP 429 answers from
the loopback webhook and Telegram Bot API are counted, waited out and kept away from the breaker."""

from __future__ import annotations

import uuid

import pytest
import redis
from loopback import CHAT_ID, TOKEN

from adapters.alerts.sinks import TelegramSink, WebhookSink
from engine.config import AlertsConfig, AlertSubscription
from schemas.alerts import Alert
from streams.alerts.delivery_log import RedisDeliveryLog
from streams.alerts.dispatcher import Dispatcher, Route
from streams.alerts.routing import alert_id
from streams.metrics import ALERT_SINK_OUTCOMES

REDIS_URL = "redis://127.0.0.1:6379/0"
T0 = 1_700_000_000 * 10**9
KILL = Alert(
    severity="critical",
    code="kill_switch_armed",
    ts_event=T0,
    message="Kill-switch armed—flattened; Demo tomorrow unless override",
)


@pytest.fixture
def redis_prefix():
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1.0)
    try:
        client.ping()
    except redis.exceptions.RedisError as e:
        pytest.fail(f"no Redis answers PING at {REDIS_URL} ({e}); .ci/run starts one")
    prefix = f"aureus-test:{uuid.uuid4().hex}:"
    yield client, prefix
    keys = list(client.scan_iter(match=prefix + "*"))
    if keys:
        client.delete(*keys)
    client.close()


def _routes(url: str) -> list[Route]:
    return [
        Route(AlertSubscription(name="hook", sink="webhook"), WebhookSink(f"{url}/hook", name="hook")),
        Route(
            AlertSubscription(name="tg", sink="telegram"),
            TelegramSink(TOKEN, CHAT_ID, api_url=url, name="tg"),
        ),
    ]


def _dispatcher(routes, log, tmp_path, worker: str, **cfg) -> tuple[Dispatcher, list[float]]:
    sleeps: list[float] = []

    async def sleep(s: float) -> None:
        sleeps.append(s)

    config = AlertsConfig(**({"max_attempts": 4, "backoff_base_s": 0.5, "jitter": 0.0} | cfg))
    dispatcher = Dispatcher(
        routes,
        config,
        delivered=log,
        dead_letter_path=tmp_path / "dead.jsonl",
        sleep=sleep,
        rng=lambda: 0.0,
        worker=worker,
    )
    return dispatcher, sleeps


async def test_a_restarted_router_does_not_resend_what_redis_recorded(loopback, redis_prefix, tmp_path):
    client, prefix = redis_prefix
    first_log = RedisDeliveryLog(REDIS_URL, prefix, ttl_s=3600)
    first, _ = _dispatcher(_routes(loopback.url), first_log, tmp_path, "test-restart")
    assert await first.deliver(KILL) == {"hook": "delivered", "tg": "delivered"}
    await first_log.aclose()
    key = first_log.key("tg", alert_id(KILL))
    assert client.get(key) == b"1" and 0 < client.ttl(key) <= 3600

    restarted_log = RedisDeliveryLog(REDIS_URL, prefix, ttl_s=3600)  # a new process, the same Redis
    restarted, _ = _dispatcher(_routes(loopback.url), restarted_log, tmp_path, "test-restart")
    assert await restarted.deliver(KILL) == {"hook": "already", "tg": "already"}
    assert len(loopback.webhook) == 1 and len(loopback.telegram) == 1
    assert loopback.webhook_keys == [alert_id(KILL)]
    # SET NX: a second record of the same delivery says it was recorded before.
    assert await restarted_log.mark("tg", alert_id(KILL)) is False
    await restarted_log.aclose()


async def test_an_unreachable_log_delivers_anyway_and_counts_the_failed_record(loopback, tmp_path):
    log = RedisDeliveryLog("redis://127.0.0.1:1/0", "unused:")  # nothing listens on port 1
    d, sleeps = _dispatcher(_routes(loopback.url)[:1], log, tmp_path, "test-unreachable", max_attempts=3)
    assert await d.deliver(KILL) == {"hook": "delivered"}
    assert len(loopback.webhook) == 1
    assert d.counts["hook:log_unavailable"] == 1 and d.counts["hook:record_failed"] == 1
    assert sleeps == [0.5, 1.0]  # the record was retried with backoff before giving up
    await log.aclose()


async def test_rate_limits_are_counted_waited_out_and_do_not_open_the_breaker(loopback, tmp_path):
    from streams.alerts.dispatcher import MemoryDeliveryLog

    loopback.fail_next["telegram"] = [(429, 3), (429, 3)]
    loopback.fail_next["webhook"] = [(429, 2)]
    d, sleeps = _dispatcher(
        _routes(loopback.url), MemoryDeliveryLog(), tmp_path, "test-429", breaker_failures=1
    )
    assert await d.deliver(KILL) == {"hook": "delivered", "tg": "delivered"}
    assert d.counts["tg:rate_limited"] == 2 and d.counts["hook:rate_limited"] == 1
    assert d.counts["tg:circuit_open"] == 0 and d.breakers["tg"].state(0.0) == "closed"
    assert sorted(sleeps) == [2.0, 3.0, 3.0]  # retry_after (header or Bot API parameters) over backoff
    metric = ALERT_SINK_OUTCOMES.labels("test-429", "tg", "rate_limited")._value.get()
    assert metric == 2
    assert len(loopback.telegram) == 1 and len(loopback.webhook) == 1
