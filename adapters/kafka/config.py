"""Configs of the Kafka data client and the Kafka publisher (frozen Nautilus configs)."""

from __future__ import annotations

from nautilus_trader.config import LiveDataClientConfig, NautilusConfig


class KafkaDataClientConfig(LiveDataClientConfig, frozen=True, kw_only=True):
    """Configuration of :class:`adapters.kafka.data.KafkaDataClient`.

    Parameters
    ----------
    bootstrap_servers : str
        ``host:port[,host:port]`` of the broker.
    topic_prefix : str
        Put in front of every topic name (``md.bars`` -> ``<prefix>md.bars``), dead-letter topics included.
    group_id : str
        Consumer group; offsets are committed under it only after the node processed the events.
    client_id : str
        Kafka client id of the consumer and the dead-letter producer.
    topics : tuple[str, ...]
        Unprefixed input topics: any of ``md.bars``, ``md.quotes``, ``md.trades``, ``news.scored``,
        ``control``.
    instruments_json : str
        JSON list of :class:`schemas.recording.InstrumentSpec`: the instruments the node trades.
    bar_types : tuple[str, ...]
        Nautilus bar type of each instrument's bars (one per instrument).
    max_poll_records, poll_timeout_ms : int
        Batch size and wait of one poll.
    fetch_max_wait_ms : int
        How long the broker may hold a fetch waiting for data (a latency floor; aiokafka's default is 500).
    auto_offset_reset : str
        Where a group without committed offsets starts: ``earliest`` or ``latest``.
    acks : str
        Acknowledgement level of the dead-letter producer.
    enable_idempotence : bool
        Idempotent dead-letter producer (off on brokers without InitProducerId, e.g. tansu).
    warmup_records : int
        On each assignment of an ``md.bars`` partition with a committed offset, seek back this many
        records before it and replay them (a restart warms the strategy's features; the strategy
        decides none of the bars it decided before). 0: resume at the committed offset.
    """

    bootstrap_servers: str
    topic_prefix: str = ""
    group_id: str = "aureus-node"
    client_id: str = "aureus"
    topics: tuple[str, ...] = ("md.bars", "news.scored", "control")
    instruments_json: str = "[]"
    bar_types: tuple[str, ...] = ()
    max_poll_records: int = 500
    poll_timeout_ms: int = 100
    fetch_max_wait_ms: int = 10
    auto_offset_reset: str = "earliest"
    acks: str = "all"
    enable_idempotence: bool = True
    warmup_records: int = 0


class KafkaPublisherConfig(NautilusConfig, frozen=True, kw_only=True):
    """Configuration of :class:`adapters.kafka.publisher.KafkaPublisher`.

    Parameters
    ----------
    bootstrap_servers, topic_prefix, client_id : str
        As for :class:`KafkaDataClientConfig`.
    acks : str
        ``all`` waits for every in-sync replica (the default for the node's outputs).
    enable_idempotence : bool
        Idempotent producer; off on brokers without InitProducerId (tansu).
    linger_ms : int
        How long the producer batches before sending.
    """

    bootstrap_servers: str
    topic_prefix: str = ""
    client_id: str = "aureus"
    acks: str = "all"
    enable_idempotence: bool = True
    linger_ms: int = 5
