"""``KafkaDataClient``: the node's market and news data from Kafka topics, consumed with aiokafka.

Per poll: every message is decoded (:class:`~adapters.kafka.parsing.InputDecoder`); those that fail go to
``dlq.<topic>`` as :class:`schemas.dlq.DeadLetter` (acknowledged by the broker) and are counted; the
others are handed to the node in event-time order. Only after the node has processed them (every commit
barrier returned: the engine queues drained, the strategy's outputs flushed) are the offsets committed,
so a crash replays at most the last batch and never skips one.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import KafkaError
from nautilus_trader.cache.cache import Cache
from nautilus_trader.common.component import LiveClock, MessageBus
from nautilus_trader.common.providers import InstrumentProvider
from nautilus_trader.core.data import Data
from nautilus_trader.data.messages import (
    SubscribeBars,
    SubscribeData,
    SubscribeQuoteTicks,
    SubscribeTradeTicks,
    UnsubscribeBars,
    UnsubscribeData,
    UnsubscribeQuoteTicks,
    UnsubscribeTradeTicks,
)
from nautilus_trader.live.data_client import LiveMarketDataClient
from nautilus_trader.model.data import Bar
from nautilus_trader.model.identifiers import ClientId

from adapters.kafka.config import KafkaDataClientConfig
from adapters.kafka.errors import KafkaConfigError, KafkaUnavailableError
from adapters.kafka.metrics import kafka_metrics
from adapters.kafka.parsing import SUPPORTED_TOPICS, Converter, InputDecoder, decode_specs
from schemas import codec
from schemas.dlq import dead_letter_from
from schemas.errors import SchemaDecodeError
from schemas.topics import dlq_topic, message_key

CommitBarrier = Callable[[], Awaitable[None]]
"""Awaited after a batch was handed to the node and before its offsets are committed."""


def acks_value(acks: str) -> int | str:
    """aiokafka's ``acks`` from the config's string."""
    return "all" if acks == "all" else int(acks)


class KafkaDataClient(LiveMarketDataClient):
    """Consumes ``md.*``, ``news.scored`` and ``control`` and hands them to the node as Nautilus data.

    Parameters
    ----------
    loop : asyncio.AbstractEventLoop
        The node's loop (aiokafka runs on it).
    client_id : ClientId
        The client's id (``KAFKA``).
    msgbus, cache, clock
        The node's.
    config : KafkaDataClientConfig
        Broker, topics, group, instruments.

    Notes
    -----
    The client has no venue, so the node routes every data subscription (bars of every venue, scored
    news) to it. Instruments are added to the cache by whoever assembles the node, before it starts.
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        client_id: ClientId,
        msgbus: MessageBus,
        cache: Cache,
        clock: LiveClock,
        config: KafkaDataClientConfig,
    ) -> None:
        super().__init__(
            loop=loop,
            client_id=client_id,
            venue=None,
            msgbus=msgbus,
            cache=cache,
            clock=clock,
            instrument_provider=InstrumentProvider(),
            config=config,
        )
        unknown = set(config.topics) - SUPPORTED_TOPICS
        if unknown:
            raise KafkaConfigError(
                f"kafka input topics {sorted(unknown)} unsupported; use {sorted(SUPPORTED_TOPICS)}"
            )
        self._config = config
        self._prefix = config.topic_prefix
        self.decoder = InputDecoder(decode_specs(config.instruments_json), config.bar_types)
        self._barriers: list[CommitBarrier] = []
        self._consumer: AIOKafkaConsumer | None = None
        self._producer: AIOKafkaProducer | None = None
        self._task: asyncio.Task | None = None
        self._stopping = False
        self._metrics = kafka_metrics()
        self.events_in: Counter[str] = Counter()
        self.dead_letters: Counter[str] = Counter()
        self.commits = 0
        self.ready = asyncio.Event()
        self._gate: CommitBarrier | None = None
        self.warmup_seeks: dict[TopicPartition, tuple[int, int]] = {}
        """Partition -> (first replayed offset, committed offset) of each warm-up replay."""
        self._assigned: set[TopicPartition] = set()  # seen by this process: its features are warm
        self._warmup_pending: set[TopicPartition] = set()

    # ------------------------------------------------------------------ wiring
    def register_converter(self, topic: str, converter: Converter) -> None:
        """Convert messages of ``topic`` with ``converter`` (see :meth:`InputDecoder.register`)."""
        self.decoder.register(topic, converter)

    def add_commit_barrier(self, barrier: CommitBarrier) -> None:
        """Await ``barrier()`` after each batch, before committing its offsets (e.g. drain the engine)."""
        self._barriers.append(barrier)

    def set_start_gate(self, gate: CommitBarrier) -> None:
        """Await ``gate()`` before the first poll (the node starts its strategies after connecting clients;
        data handed over earlier would reach no strategy and yet be committed)."""
        self._gate = gate

    async def stop_consuming(self) -> None:
        """Finish and commit the batch in hand, then stop polling (call before the strategies stop)."""
        self._stopping = True
        if self._task is not None and not self._task.done():
            await asyncio.wait_for(asyncio.shield(self._task), timeout=60)

    # ------------------------------------------------------------------ lifecycle
    async def _connect(self) -> None:
        cfg = self._config
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=cfg.bootstrap_servers,
            group_id=cfg.group_id,
            client_id=cfg.client_id,
            enable_auto_commit=False,
            auto_offset_reset=cfg.auto_offset_reset,
            fetch_max_wait_ms=cfg.fetch_max_wait_ms,
        )
        self._producer = AIOKafkaProducer(
            bootstrap_servers=cfg.bootstrap_servers,
            client_id=cfg.client_id + "-dlq",
            acks=acks_value(cfg.acks),
            enable_idempotence=cfg.enable_idempotence,
        )
        try:
            await self._producer.start()
            self._consumer.subscribe([self._prefix + t for t in cfg.topics], listener=_WarmUpOnAssign(self))
            await self._consumer.start()
        except KafkaError as e:
            raise KafkaUnavailableError(f"kafka at {cfg.bootstrap_servers} unavailable: {e}") from e
        self._stopping = False
        self._task = self.create_task(self._consume(), log_msg="kafka_consume")
        self._log.info(f"Consuming {[self._prefix + t for t in cfg.topics]} as group {cfg.group_id}")

    async def _disconnect(self) -> None:
        self._stopping = True
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, timeout=30)
            except (TimeoutError, asyncio.CancelledError):
                self._log.warning("Kafka consume loop did not finish its batch in time")
        if self._consumer is not None:
            await self._consumer.stop()
        if self._producer is not None:
            await self._producer.stop()
        self._consumer = self._producer = self._task = None

    # ------------------------------------------------------------------ consuming
    async def _consume(self) -> None:
        assert self._consumer is not None
        if self._gate is not None:
            await self._gate()
        self.ready.set()
        while not self._stopping:
            try:
                batch = await self._consumer.getmany(
                    timeout_ms=self._config.poll_timeout_ms, max_records=self._config.max_poll_records
                )
                if self._warmup_pending:
                    batch = await self._start_warmups(batch)
                if batch:
                    await self.process_batch(batch)
            except KafkaError as e:  # broker trouble: nothing committed, the batch comes back
                self._log.error(f"Kafka error, retrying in 1s: {e!r}")
                await asyncio.sleep(1.0)

    async def process_batch(self, batch: dict) -> None:
        """Decode, dead-letter, hand over, wait for the barriers, then commit one poll's messages."""
        good = []
        letters = []
        counts: Counter[str] = Counter()
        offsets: dict[TopicPartition, int] = {}
        for tp, records in batch.items():
            topic = tp.topic[len(self._prefix) :]
            for record in records:
                try:
                    data = self.decoder.decode(topic, record.value or b"")
                    if not isinstance(data, Data):
                        raise TypeError(f"converter returned {type(data).__name__}, not Nautilus Data")
                    good.append(data)
                    counts[topic] += 1
                except SchemaDecodeError as e:
                    letters.append(self._dead_letter(e, topic, record))
                except Exception as e:  # a converter bug must not stop the feed: dead-letter it, loudly
                    error = SchemaDecodeError(
                        f"{topic}: unexpected {e!r}", topic=topic, raw=record.value or b""
                    )
                    letters.append(self._dead_letter(error, topic, record))
            offsets[tp] = records[-1].offset + 1
        good.sort(key=lambda d: d.ts_init)  # stable: event-time order across partitions and topics
        for data in good:
            self._handle_data(data)
            if isinstance(data, Bar):
                self._metrics.bar_arrived(data.bar_type.instrument_id.value, data.ts_event)
        for topic, n in counts.items():
            self.events_in[topic] += n
            self._metrics.events_in.labels(topic).inc(n)
        await self._send_dead_letters(letters)
        for barrier in self._barriers:
            await barrier()
        await self._consumer.commit(offsets)
        self.commits += 1
        for tp in offsets:
            high = self._consumer.highwater(tp)
            if high is not None:
                self._metrics.consumer_lag.labels(tp.topic, str(tp.partition)).set(high - offsets[tp])

    def note_assigned(self, assigned) -> None:
        """Mark newly assigned ``md.bars`` partitions for a warm-up replay (done by the poll loop).

        Not done in the rebalance callback: the committed offset read there was seen to be missing on
        tansu, while the fetch positions then still start from it.
        """
        bars = self._prefix + "md.bars"
        for tp in assigned:
            if self._config.warmup_records > 0 and tp.topic == bars and tp not in self._assigned:
                self._assigned.add(tp)  # a later rebalance or reconnect of this process: features are warm
                self._warmup_pending.add(tp)

    async def _start_warmups(self, batch: dict) -> dict:
        """Seek each pending partition ``warmup_records`` before its committed offset; records already
        fetched from it are dropped (not handed over, not committed) and come again after the replay."""
        assert self._consumer is not None
        n = self._config.warmup_records
        for tp in sorted(self._warmup_pending):
            committed, first = await self._offsets(tp)
            if committed is None:  # never committed: the group starts from auto_offset_reset
                self._log.warning(f"warm-up: {tp.topic}[{tp.partition}] has no committed offset: none")
                self._warmup_pending.discard(tp)
                continue
            start = max(first, committed - n)
            if start < committed:
                self._consumer.seek(tp, start)
                batch = {k: v for k, v in batch.items() if k != tp}
            self.warmup_seeks[tp] = (start, committed)
            self._warmup_pending.discard(tp)
            self._log.warning(f"warm-up: {tp.topic}[{tp.partition}] replays offsets {start}..{committed - 1}")
        return batch

    async def _offsets(self, tp: TopicPartition) -> tuple[int | None, int]:
        """Committed and first offset of ``tp``, retried on broker trouble (the batch in hand is kept)."""
        assert self._consumer is not None
        while True:
            try:
                committed = await self._consumer.committed(tp)
                first = (await self._consumer.beginning_offsets([tp]))[tp]
                return committed, first
            except KafkaError as e:
                self._log.warning(f"warm-up: offsets of {tp} unavailable, retrying: {e!r}")
                await asyncio.sleep(0.5)

    def _dead_letter(self, error: SchemaDecodeError, topic: str, record):
        self._log.warning(f"dead letter {topic}@{record.partition}:{record.offset}: {str(error)[:200]}")
        letter = dead_letter_from(
            error,
            key=record.key,
            ts_event=self._clock.timestamp_ns(),
            topic=topic,
            partition=record.partition,
            offset=record.offset,
            consumer=self._config.group_id,
        )
        self.dead_letters[topic] += 1
        self._metrics.dead_letters.labels(topic).inc()
        return letter

    async def _send_dead_letters(self, letters: list) -> None:
        """Every dead letter is acknowledged before the batch is committed; retried until it is."""
        assert self._producer is not None
        for letter in letters:
            topic = dlq_topic(letter.topic)
            value = codec.encode(topic, letter)
            key = message_key(topic, letter).encode()
            while True:
                try:
                    await self._producer.send_and_wait(self._prefix + topic, value, key=key)
                    break
                except KafkaError as e:
                    self._log.error(f"dead letter not accepted by the broker, retrying: {e!r}")
                    await asyncio.sleep(1.0)

    # ------------------------------------------------------------------ subscriptions
    # The consumer reads every configured topic from the start; subscriptions only select what the
    # node's msgbus delivers, which Nautilus does itself.
    async def _subscribe(self, command: SubscribeData) -> None:
        self._log.debug(f"Subscribed {command.data_type}")

    async def _subscribe_bars(self, command: SubscribeBars) -> None:
        self._log.debug(f"Subscribed {command.bar_type}")

    async def _subscribe_quote_ticks(self, command: SubscribeQuoteTicks) -> None:
        self._log.debug(f"Subscribed quotes {command.instrument_id}")

    async def _subscribe_trade_ticks(self, command: SubscribeTradeTicks) -> None:
        self._log.debug(f"Subscribed trades {command.instrument_id}")

    async def _unsubscribe(self, command: UnsubscribeData) -> None:
        pass

    async def _unsubscribe_bars(self, command: UnsubscribeBars) -> None:
        pass

    async def _unsubscribe_quote_ticks(self, command: UnsubscribeQuoteTicks) -> None:
        pass

    async def _unsubscribe_trade_ticks(self, command: UnsubscribeTradeTicks) -> None:
        pass


class _WarmUpOnAssign(ConsumerRebalanceListener):
    """Seeks back for the features' warm-up whenever the group hands this consumer its partitions."""

    def __init__(self, client: KafkaDataClient) -> None:
        self._client = client

    async def on_partitions_revoked(self, revoked) -> None:
        pass

    async def on_partitions_assigned(self, assigned) -> None:
        self._client.note_assigned(assigned)
