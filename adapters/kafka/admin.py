"""Topic administration: create the topics a component reads or writes before it starts.

A consumer subscribed to a topic that does not exist yet only notices it at its next metadata refresh
(minutes), so every component creates its topics first.
"""

from __future__ import annotations

import contextlib

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from adapters.kafka.errors import KafkaUnavailableError
from schemas.topics import TOPIC_TYPES, dlq_topic


def all_topics(prefix: str = "", *, dlq: bool = True) -> list[str]:
    """Every topic of DESIGN.md (and its dead-letter topic), with ``prefix``."""
    names = sorted(TOPIC_TYPES)
    if dlq:
        names += [dlq_topic(t) for t in sorted(TOPIC_TYPES)]
    return [prefix + n for n in names]


async def ensure_topics(
    bootstrap: str, names: list[str], *, partitions: int = 1, replication: int = 1
) -> list[str]:
    """Create the topics of ``names`` that do not exist; return those created.

    Raises
    ------
    KafkaUnavailableError
        The broker cannot be reached.
    """
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
    try:
        await admin.start()
        existing = set(await admin.list_topics())
        missing = [n for n in names if n not in existing]
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):  # another component was quicker
                await admin.create_topics(
                    [NewTopic(n, num_partitions=partitions, replication_factor=replication) for n in missing]
                )
        return missing
    except KafkaError as e:
        raise KafkaUnavailableError(f"kafka at {bootstrap} unavailable: {e}") from e
    finally:
        await admin.close()
