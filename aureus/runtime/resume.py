"""What the previous incarnation of the daemon already published, read back from its own output topic.

The decided mark in the risk state is written after a batch's outputs are acknowledged; a ``kill -9``
while a batch is being processed leaves decisions on ``signals`` that no mark covers (the live engines
process a batch of up to ``kafka.max_poll_records`` bars for seconds while the producer sends). The topic
itself is the record of what went out, so on start the daemon reads its tail and decides no bar at or
before the last published decision of each instrument.
"""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, TopicPartition

from schemas import codec
from schemas.errors import SchemaDecodeError
from schemas.topics import SIGNALS


async def last_decisions(bootstrap: str, prefix: str, tail: int) -> dict[str, int]:
    """Instrument -> event time of its last decision among the last ``tail`` records of each partition
    of ``<prefix>signals`` (empty when the topic is empty or missing).

    ``tail`` must cover the decisions of one batch, the most a crash can leave unmarked; only one batch
    is in flight at a time (its offsets are committed before the next poll).
    """
    topic = prefix + SIGNALS
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    await consumer.start()
    last: dict[str, int] = {}
    try:
        partitions = consumer.partitions_for_topic(topic) or await _partitions(consumer, topic)
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        if not tps:
            return last
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        firsts = await consumer.beginning_offsets(tps)
        for tp in tps:
            consumer.seek(tp, max(firsts[tp], ends[tp] - tail))
        remaining = {tp for tp in tps if ends[tp] > firsts[tp]}
        while remaining:
            batch = await consumer.getmany(*remaining, timeout_ms=1000)
            for tp, records in batch.items():
                for record in records:
                    try:
                        decision = codec.decode(SIGNALS, record.value or b"")
                    except SchemaDecodeError:
                        continue  # not ours to judge here: the consumers of signals dead-letter it
                    if decision.ts_event > last.get(decision.instrument, -1):
                        last[decision.instrument] = decision.ts_event
                if records and records[-1].offset + 1 >= ends[tp]:
                    remaining.discard(tp)
        return last
    finally:
        await consumer.stop()


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    await consumer.topics()  # refreshes the metadata
    return consumer.partitions_for_topic(topic) or set()
