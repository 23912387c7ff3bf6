"""Nautilus factory of the Kafka data client.

Register it with ``node.add_data_client_factory("KAFKA", KafkaLiveDataClientFactory)``.
"""

from __future__ import annotations

import asyncio

from nautilus_trader.cache.cache import Cache
from nautilus_trader.common.component import LiveClock, MessageBus
from nautilus_trader.live.factories import LiveDataClientFactory
from nautilus_trader.model.identifiers import ClientId

from adapters.kafka.config import KafkaDataClientConfig
from adapters.kafka.data import KafkaDataClient


class KafkaLiveDataClientFactory(LiveDataClientFactory):
    """Builds :class:`KafkaDataClient` instances for a ``TradingNode``."""

    @staticmethod
    def create(  # type: ignore[override]
        loop: asyncio.AbstractEventLoop,
        name: str,
        config: KafkaDataClientConfig,
        msgbus: MessageBus,
        cache: Cache,
        clock: LiveClock,
    ) -> KafkaDataClient:
        """Create the client; ``name`` (the node's config key, e.g. ``KAFKA``) becomes its client id."""
        return KafkaDataClient(
            loop=loop, client_id=ClientId(name), msgbus=msgbus, cache=cache, clock=clock, config=config
        )
