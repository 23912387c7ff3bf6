"""``KafkaPublisher``: the daemon's :class:`engine.sink.EventSink`, publishing the strategy's outputs.

``emit(channel, message)`` is synchronous (the strategy calls it from Nautilus callbacks): it encodes the
message with :mod:`schemas.codec` and queues it; one task sends the queue in order with ``acks=all`` (and
the idempotent producer where the broker has it), keyed as :func:`schemas.topics.message_key` says.
:meth:`flush` returns once everything emitted so far is acknowledged: the data client awaits it before
committing its offsets. Channels that are not topics (``trades``, ``equity``) go to an optional local sink.
"""

from __future__ import annotations

import asyncio
from collections import Counter, deque
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from adapters.kafka.config import KafkaPublisherConfig
from adapters.kafka.data import acks_value
from adapters.kafka.errors import KafkaUnavailableError
from adapters.kafka.metrics import kafka_metrics
from schemas import codec
from schemas.topics import ORDERS, SIGNALS, TOPIC_TYPES, is_dlq_topic, message_key


class KafkaPublisher:
    """Publishes strategy outputs to their topics.

    Parameters
    ----------
    config : KafkaPublisherConfig
        Broker, prefix, producer settings.
    local : EventSink, optional
        Receives the channels that are not Kafka topics (``trades``, ``equity``); without one they are
        counted in :attr:`local_only`.
    """

    def __init__(self, config: KafkaPublisherConfig, *, local: Any = None) -> None:
        self._config = config
        self._local = local
        self._queue: deque[tuple[str, bytes, bytes]] = deque()
        self._wakeup = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._producer: AIOKafkaProducer | None = None
        self._task: asyncio.Task | None = None
        self._metrics = kafka_metrics()
        self.published: Counter[str] = Counter()
        self.local_only: Counter[str] = Counter()

    async def start(self) -> None:
        """Connect the producer and start the sender task (on the running loop)."""
        cfg = self._config
        self._producer = AIOKafkaProducer(
            bootstrap_servers=cfg.bootstrap_servers,
            client_id=cfg.client_id + "-out",
            acks=acks_value(cfg.acks),
            enable_idempotence=cfg.enable_idempotence,
            linger_ms=cfg.linger_ms,
        )
        try:
            await self._producer.start()
        except KafkaError as e:
            raise KafkaUnavailableError(f"kafka at {cfg.bootstrap_servers} unavailable: {e}") from e
        self._task = asyncio.get_running_loop().create_task(self._send_loop())

    def emit(self, channel: str, message: Any) -> None:
        """Queue one output; topics are encoded now (a wrong type fails here, in the caller)."""
        if channel not in TOPIC_TYPES and not is_dlq_topic(channel):
            self.local_only[channel] += 1
            if self._local is not None:
                self._local.emit(channel, message)
            return
        value = codec.encode(channel, message)
        key = message_key(channel, message).encode()
        self._queue.append((channel, key, value))
        if channel == SIGNALS:
            self._metrics.decisions.inc()
        elif channel == ORDERS:
            self._metrics.orders.inc()
        self._idle.clear()
        self._wakeup.set()

    async def flush(self) -> None:
        """Return once every message emitted so far is acknowledged by the broker."""
        if self._task is None:
            return
        await self._idle.wait()

    async def stop(self, timeout_s: float = 10.0) -> None:
        """Flush (up to ``timeout_s``), then close the producer."""
        if self._task is None:
            return
        try:
            await asyncio.wait_for(self.flush(), timeout=timeout_s)
        finally:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            assert self._producer is not None
            await self._producer.stop()
            self._task = None

    async def _send_loop(self) -> None:
        assert self._producer is not None
        prefix = self._config.topic_prefix
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            pending = []
            while self._queue:
                topic, key, value = self._queue.popleft()
                pending.append((prefix + topic, key, value, await self._send(prefix + topic, key, value)))
            for topic, key, value, future in pending:
                await self._acked(topic, key, value, future)
            if not self._queue:
                self._idle.set()

    async def _send(self, topic: str, key: bytes, value: bytes):
        while True:
            try:
                return await self._producer.send(topic, value, key=key)
            except KafkaError:  # buffer full or broker gone: keep order, retry
                self._metrics.publish_errors.labels(topic).inc()
                await asyncio.sleep(0.5)

    async def _acked(self, topic: str, key: bytes, value: bytes, future) -> None:
        while True:
            try:
                await future
                break
            except KafkaError:  # aiokafka's own retries are spent: count it and send it again
                self._metrics.publish_errors.labels(topic).inc()
                await asyncio.sleep(0.5)
                future = await self._send(topic, key, value)
        self.published[topic] += 1
        self._metrics.published.labels(topic).inc()
