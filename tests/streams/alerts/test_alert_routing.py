"""Alert matching, backoff, circuit breaker, and delivery through real HTTP to a loopback webhook and
a loopback Telegram Bot API."""

from __future__ import annotations

import msgspec
import pytest
from loopback import CHAT_ID, TOKEN

from adapters.alerts.errors import SinkError, SinkTemporaryError
from adapters.alerts.sinks import TelegramSink, WebhookSink, alert_text
from engine.config import AlertsConfig, AlertSubscription
from schemas.alerts import Alert
from streams.alerts.dispatcher import Dispatcher, Route, UndeliveredAlert
from streams.alerts.routing import CircuitBreaker, backoff_delay, matches

T0 = 1_700_000_000 * 10**9
KILL = Alert(
    severity="critical",
    code="kill_switch_armed",
    ts_event=T0,
    message="Kill-switch armed—flattened; Demo tomorrow unless override",
)
QUARANTINE = Alert(
    severity="warning",
    code="quarantine_active",
    ts_event=T0 + 1,
    message="Demo quarantine active—7 days remaining",
)
INFO = Alert(
    severity="info", code="data_stall", ts_event=T0 + 2, message="Data feed interrupted—holding positions"
)


def _sub(name, sink="webhook", severity="info", codes=("*",)):
    return AlertSubscription(name=name, sink=sink, severity=severity, codes=codes)


def test_matching_by_severity_floor_and_code_pattern():
    sub = _sub("ops", severity="warning", codes=("kill_*", "quarantine_*"))
    assert [matches(sub, a) for a in (KILL, QUARANTINE, INFO)] == [True, True, False]
    assert not matches(_sub("x", codes=("kill_switch",)), KILL)
    tagged = Alert(severity="info", code="clamp_hit", ts_event=T0, message="m", tags=("AAPL.NASDAQ",))
    by_topic = AlertSubscription(name="t", sink="console", topics=("AAPL.NASDAQ",))
    assert matches(by_topic, tagged) and not matches(by_topic, INFO)


def test_backoff_grows_exponentially_is_capped_and_jittered():
    plain = [backoff_delay(a, base_s=0.5, max_s=3.0, jitter=0.5, random=lambda: 0.0) for a in range(1, 6)]
    assert plain == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert backoff_delay(3, base_s=0.5, max_s=3.0, jitter=0.5, random=lambda: 0.999) == pytest.approx(1.001)


def test_circuit_breaker_opens_half_opens_and_closes():
    breaker = CircuitBreaker(failures=2, reset_s=10.0)
    breaker.record_failure(0.0)
    assert breaker.state(0.0) == "closed"
    breaker.record_failure(1.0)
    assert breaker.state(5.0) == "open" and breaker.wait_s(5.0) == 6.0
    assert breaker.state(11.0) == "half_open"
    breaker.record_failure(11.0)
    assert breaker.state(12.0) == "open"
    breaker.record_success()
    assert breaker.state(12.0) == "closed"


class FakeSink:
    def __init__(self, name, failures=()):
        self.name = name
        self.failures = list(failures)
        self.got: list[Alert] = []

    async def send(self, alert, alert_id):
        if self.failures:
            raise self.failures.pop(0)
        self.got.append(alert)


def _dispatcher(routes, tmp_path, **cfg):
    sleeps: list[float] = []

    async def sleep(s):
        sleeps.append(s)

    config = AlertsConfig(**({"max_attempts": 3, "backoff_base_s": 1.0, "jitter": 0.0} | cfg))
    d = Dispatcher(
        routes,
        config,
        dead_letter_path=tmp_path / "dead.jsonl",
        clock=lambda: 0.0,
        sleep=sleep,
        rng=lambda: 0.0,
    )
    return d, sleeps


async def test_failing_sink_is_retried_then_dead_lettered_while_others_deliver(tmp_path):
    good = FakeSink("good")
    bad = FakeSink("bad", [SinkTemporaryError("down")] * 5)
    d, sleeps = _dispatcher([Route(_sub("a"), good), Route(_sub("b"), bad)], tmp_path)
    assert await d.deliver(KILL) == {"good": "delivered", "bad": "dead_lettered"}
    assert good.got == [KILL] and sleeps == [1.0, 2.0]
    dead = [
        msgspec.json.decode(line, type=UndeliveredAlert)
        for line in (tmp_path / "dead.jsonl").read_bytes().splitlines()
    ]
    assert [(x.sink, x.attempts, x.alert) for x in dead] == [("bad", 3, KILL)]


async def test_retry_after_is_honoured_and_a_redelivered_alert_is_not_sent_twice(tmp_path):
    sink = FakeSink("s", [SinkTemporaryError("429", retry_after=7.0)])
    d, sleeps = _dispatcher([Route(_sub("a"), sink)], tmp_path)
    assert await d.deliver(QUARANTINE) == {"s": "delivered"}
    assert sleeps == [7.0]
    assert await d.deliver(QUARANTINE) == {"s": "already"}
    assert sink.got == [QUARANTINE]


async def test_permanent_error_dead_letters_without_retrying(tmp_path):
    sink = FakeSink("s", [SinkError("400 bad chat")])
    d, sleeps = _dispatcher([Route(_sub("a"), sink)], tmp_path)
    assert await d.deliver(KILL) == {"s": "dead_lettered"} and sleeps == []


async def test_open_circuit_fails_fast(tmp_path):
    sink = FakeSink("s", [SinkTemporaryError("down")] * 2)
    d, _ = _dispatcher([Route(_sub("a"), sink)], tmp_path, breaker_failures=2, max_attempts=4)
    assert await d.deliver(KILL) == {"s": "dead_lettered"}
    assert d.breakers["s"].state(0.0) == "open" and sink.failures == []


async def test_loopback_webhook_and_telegram_receive_exactly_the_matching_alerts(loopback, tmp_path):
    webhook = WebhookSink(f"{loopback.url}/hook")
    telegram = TelegramSink(TOKEN, CHAT_ID, api_url=loopback.url)
    loopback.fail_next["webhook"] = [(503, None)]
    loopback.fail_next["telegram"] = [(429, 1)]
    routes = [
        Route(_sub("hook", codes=("kill_*", "data_*")), webhook),
        Route(_sub("tg", sink="telegram", severity="warning"), telegram),
    ]
    d, sleeps = _dispatcher(routes, tmp_path)
    for alert in (KILL, QUARANTINE, INFO):
        await d.deliver(alert)
    await webhook.aclose()
    await telegram.aclose()
    assert [b["message"] for b in loopback.webhook] == [KILL.message, INFO.message]
    assert all(key for key in loopback.webhook_keys)
    assert [b["text"] for b in loopback.telegram] == [alert_text(KILL), alert_text(QUARANTINE)]
    assert "Kill-switch armed—flattened; Demo tomorrow unless override" in loopback.telegram[0]["text"]
    assert "Demo quarantine active—7 days remaining" in loopback.telegram[1]["text"]
    assert sorted(sleeps) == [1.0, 1.0]
    assert not (tmp_path / "dead.jsonl").exists()


def test_subscribe_rejects_a_bad_severity_with_the_field_path():
    from typer.testing import CliRunner

    from aureus.cli_workers import alerts_app
    from engine.errors import ConfigError

    result = CliRunner().invoke(alerts_app, ["--severity", "loud", "--sink", "console"])
    assert isinstance(result.exception, ConfigError) and "severity" in str(result.exception)
