"""The alert router worker: ``alerts`` -> every configured subscription's sink.

Each alert is awaited until every matching sink has it or has dead-lettered it, and only then does the
offset move on (at least once). The delivery log (``alerts.delivery_log``: Redis ``SET NX`` with a TTL,
or a file under ``workers.data_dir``) is checked before each send and written before the alert is
acknowledged, so a redelivered alert is a no-op for sinks that already have it.
"""

from __future__ import annotations

import os
from pathlib import Path

import faust
from rich.console import Console

from adapters.alerts.errors import SinkError
from adapters.alerts.sinks import ConsoleSink, TelegramSink, WebhookSink
from engine.config import AlertsConfig, AlertSubscription, AureusConfig
from schemas.codec import decode
from schemas.errors import SchemaDecodeError
from streams.alerts.delivery_log import FileDeliveryLog, RedisDeliveryLog
from streams.alerts.dispatcher import Dispatcher, Route
from streams.faust_app import DeadLetterOutbox, create_base_app, topic, topic_prefix

WORKER = "alerts"


def build_sink(subscription: AlertSubscription, config: AlertsConfig, console: Console | None = None):
    """The sink a subscription names (Telegram credentials from config, else the environment)."""
    if subscription.sink == "console":
        return ConsoleSink(console, name=f"console:{subscription.name}")
    if subscription.sink == "webhook":
        if not subscription.url:
            raise SinkError(f"subscription {subscription.name!r}: a webhook needs a url")
        return WebhookSink(subscription.url, timeout_s=config.timeout_s, name=f"webhook:{subscription.name}")
    return TelegramSink(
        config.telegram_token or os.environ.get("AUREUS_TELEGRAM_TOKEN", ""),
        config.telegram_chat_id or os.environ.get("AUREUS_TELEGRAM_CHAT_ID", ""),
        api_url=config.telegram_api_url,
        timeout_s=config.timeout_s,
        name=f"telegram:{subscription.name}",
    )


def build_dispatcher(
    config: AureusConfig, subscriptions: tuple[AlertSubscription, ...] | None = None, name: str = WORKER
) -> Dispatcher:
    """Routes for ``subscriptions`` (default: the configured ones) with a restart-proof delivery log."""
    subs = config.alerts.subscriptions if subscriptions is None else subscriptions
    routes = [Route(s, build_sink(s, config.alerts)) for s in subs]
    kind = config.alerts.delivery_log
    if kind == "redis" or (kind == "auto" and config.store.backend == "redis"):
        log = RedisDeliveryLog(
            config.store.redis_url,
            config.store.key_prefix + topic_prefix(config),
            ttl_s=config.alerts.delivered_ttl_s,
        )
    else:
        log = FileDeliveryLog(Path(config.workers.data_dir) / name / "delivered.tsv")
    return Dispatcher(routes, config.alerts, delivered=log, worker=name)


def create_app(
    config: AureusConfig, subscriptions: tuple[AlertSubscription, ...] | None = None, name: str = WORKER
) -> faust.App:
    """Build the alert router app; ``subscriptions`` default to ``alerts.subscriptions``.

    ``name`` names the consumer group: each ``aureus alerts subscribe`` gets its own, so every subscriber
    sees every alert.
    """
    app = create_base_app(name, config)
    dispatcher = build_dispatcher(config, subscriptions, name)
    alerts_topic = topic(app, config, "alerts")
    dead_letters = DeadLetterOutbox(app, config, name)

    @app.agent(alerts_topic)
    async def route(stream):
        await dead_letters.restore(["alerts"])
        async for event in stream.events():
            try:
                alert = decode("alerts", event.value)
            except SchemaDecodeError as e:
                await dead_letters.send(e, event)
                continue
            yield await dispatcher.deliver(alert)

    return app
