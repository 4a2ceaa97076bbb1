"""Reading what the API published: find a message on a topic by its id."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiokafka import AIOKafkaConsumer

from infra.kafka.security import client_options


async def find_message(
    bootstrap: str,
    topic: str,
    message_id: str,
    *,
    field: str = "id",
    timeout: float = 20.0,  # noqa: ASYNC109
) -> tuple[str, dict[str, Any]]:
    """The (key, value) of the message on `topic` whose `field` is `message_id`; fail after `timeout`."""
    consumer = AIOKafkaConsumer(
        topic,
        **client_options(bootstrap),
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        metadata_max_age_ms=1000,
    )
    await consumer.start()
    try:
        async with asyncio.timeout(timeout):
            async for record in consumer:
                value = json.loads(record.value)
                if value.get(field) == message_id:
                    return record.key.decode(), value
    finally:
        await consumer.stop()
    raise AssertionError(f"no message {message_id} on {topic}")
