"""Publishing to Kafka from the API: one idempotent producer, started on first use."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError


class PublishFailed(RuntimeError):
    """Kafka did not take the message; the caller should try again later."""


@dataclass(frozen=True)
class Published:
    """Where a message landed."""

    topic: str
    partition: int
    offset: int


class Publisher:
    """Sends JSON messages and waits for the broker's acknowledgement (acks=all)."""

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()

    async def _started(self) -> AIOKafkaProducer:
        async with self._lock:
            if self._producer is None:
                producer = AIOKafkaProducer(
                    bootstrap_servers=self.bootstrap,
                    acks="all",
                    enable_idempotence=True,
                    metadata_max_age_ms=5_000,
                    request_timeout_ms=15_000,
                )
                try:
                    await producer.start()
                except KafkaError as exc:
                    await producer.stop()
                    raise PublishFailed(f"Kafka at {self.bootstrap} is unreachable: {exc}") from exc
                self._producer = producer
            return self._producer

    async def send_json(self, topic: str, key: str, value: dict[str, Any]) -> Published:
        """Publish `value` as UTF-8 JSON under `key` and wait until it is durably written."""
        producer = await self._started()
        data = json.dumps(value, ensure_ascii=False).encode("utf-8")
        try:
            meta = await producer.send_and_wait(topic, data, key=key.encode("utf-8"))
        except KafkaError as exc:
            raise PublishFailed(f"Kafka did not accept the message on {topic}: {exc}") from exc
        return Published(meta.topic, meta.partition, meta.offset)

    async def close(self) -> None:
        """Flush and stop the producer."""
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None
