"""Plain aiokafka producers and consumers, standing in for 'any other Kafka client' such as kcat."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from infra.kafka.security import client_options


async def produce_raw(bootstrap: str, topic: str, value: bytes, key: bytes | None = None) -> None:
    """Write one message as-is, like `kcat -P -t TOPIC`."""
    producer = AIOKafkaProducer(**client_options(bootstrap), acks="all", metadata_max_age_ms=2_000)
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=key)
    finally:
        await producer.stop()


async def read_json_until(
    bootstrap: str,
    topic: str,
    *,
    count: int,
    timeout: float = 60,  # noqa: ASYNC109
    match: Any = None,
) -> list[dict[str, Any]]:
    """Read JSON messages from the start of `topic` until `count` of them satisfy `match` (or all, if None)."""
    consumer = AIOKafkaConsumer(
        topic,
        **client_options(bootstrap),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
        metadata_max_age_ms=2_000,
    )
    await consumer.start()
    found: list[dict[str, Any]] = []
    try:
        async with asyncio.timeout(timeout):
            while len(found) < count:
                batch = await consumer.getmany(timeout_ms=500)
                for messages in batch.values():
                    for message in messages:
                        value = json.loads(message.value)
                        if match is None or match(value):
                            found.append(value)
    except TimeoutError:
        pass
    finally:
        await consumer.stop()
    return found
