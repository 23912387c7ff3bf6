"""The test broker speaks enough Kafka for aiokafka: produce, consume in a group, commit, resume."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition


async def test_produce_consume_commit_resume(kafka_bootstrap, topic_prefix):
    topic = topic_prefix + "smoke"
    # tansu 0.6 (memory storage) answers InitProducerId with an error: no idempotent producer here
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    try:
        for i in range(10):
            await producer.send_and_wait(topic, f"m{i}".encode(), key=b"k")
    finally:
        await producer.stop()

    group = topic_prefix + "group"
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=kafka_bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        first = []
        while len(first) < 4:
            batch = await consumer.getmany(timeout_ms=2000, max_records=4 - len(first))
            for records in batch.values():
                first.extend(r.value for r in records)
        await consumer.commit()
    finally:
        await consumer.stop()
    assert first == [b"m0", b"m1", b"m2", b"m3"]

    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=kafka_bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        rest = []
        while len(rest) < 6:
            batch = await consumer.getmany(timeout_ms=2000)
            for records in batch.values():
                rest.extend(r.value for r in records)
        committed = await consumer.committed(TopicPartition(topic, 0))
    finally:
        await consumer.stop()
    assert rest == [f"m{i}".encode() for i in range(4, 10)]
    assert committed == 4
