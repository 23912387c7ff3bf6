"""Kafka adapter in Nautilus's adapter layout: the data client (``md.*``, ``news.scored``, ``control`` ->
Nautilus data, bad messages -> ``dlq.<topic>``), its factory, and the publisher of the strategy's outputs."""

from adapters.kafka.config import KafkaDataClientConfig, KafkaPublisherConfig
from adapters.kafka.data import KafkaDataClient
from adapters.kafka.factories import KafkaLiveDataClientFactory
from adapters.kafka.publisher import KafkaPublisher

__all__ = [
    "KafkaDataClient",
    "KafkaDataClientConfig",
    "KafkaLiveDataClientFactory",
    "KafkaPublisher",
    "KafkaPublisherConfig",
]
