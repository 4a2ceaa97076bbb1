"""Reading a topic outside any consumer group: from its first message (replays and logs) or from its end (live
followers)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager

from aiokafka import AIOKafkaConsumer, TopicPartition

from infra.kafka.admin import partition_count
from infra.kafka.security import client_options


@asynccontextmanager
async def from_start(
    bootstrap: str, topic: str, *, fetch_bytes: int | None = None, only: Collection[int] | None = None
) -> AsyncIterator[tuple[AIOKafkaConsumer, list[TopicPartition]]]:
    """A consumer assigned every partition of `topic` at its first offset (no partitions: no such topic).

    `fetch_bytes`: how much to fetch per partition and request (default: the consumer's 1 MiB); a long replay
    reads faster with more. `only`: assign just these partition numbers (those the topic has).
    """
    sizes = {} if fetch_bytes is None else {"max_partition_fetch_bytes": fetch_bytes}
    consumer = AIOKafkaConsumer(
        **client_options(bootstrap), enable_auto_commit=False, group_id=None, metadata_max_age_ms=5_000, **sizes
    )
    await consumer.start()
    try:
        numbers = range(await partition_count(bootstrap, topic))
        partitions = [TopicPartition(topic, p) for p in numbers if only is None or p in only]
        if partitions:
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
        yield consumer, partitions
    finally:
        await consumer.stop()


async def read_from_end(consumer: AIOKafkaConsumer, topic: str, after: tuple[int, int] | None = None) -> None:
    """Assign every partition of `topic` to a group-less consumer and seek to the end offsets as of now.

    `after` = (partition, offset): on that partition, read from just after that record instead. Raise
    RuntimeError when the topic does not show up within 20 s.
    """
    partitions: set[int] | None = None
    for _ in range(100):
        await consumer._client.force_metadata_update()
        partitions = consumer.partitions_for_topic(topic)
        if partitions:
            break
        await asyncio.sleep(0.2)
    if not partitions:
        raise RuntimeError(f"topic {topic} does not exist")
    assigned = [TopicPartition(topic, p) for p in sorted(partitions)]
    consumer.assign(assigned)
    ends = await consumer.end_offsets(assigned)
    for tp in assigned:
        position = ends[tp]
        if after is not None and after[0] == tp.partition:
            position = min(position, after[1] + 1)
        consumer.seek(tp, position)
