"""Publishing from the API: the `Publisher` protocol, its Kafka implementation (one idempotent producer, started
on first use) and an in-memory one that records what would have been published (tests, no broker)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any, Protocol

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from infra.kafka.security import client_options


class PublishFailed(RuntimeError):
    """Kafka did not take the message; the caller should try again later."""


@dataclass(frozen=True)
class Published:
    """Where a message landed."""

    topic: str
    partition: int
    offset: int


class Publisher(Protocol):
    """What the API publishes through: JSON messages under a key, durably written when `send_json` returns."""

    async def send_json(self, topic: str, key: str, value: dict[str, Any]) -> Published:
        """Publish `value` as UTF-8 JSON under `key`; raise PublishFailed when it was not taken."""
        ...

    async def close(self) -> None:
        """Flush and release what the publisher holds."""
        ...


def _encode(value: dict[str, Any]) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


class KafkaPublisher:
    """Sends JSON messages to Kafka and waits for the broker's acknowledgement (acks=all)."""

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()

    async def _started(self) -> AIOKafkaProducer:
        async with self._lock:
            if self._producer is None:
                producer = AIOKafkaProducer(
                    **client_options(self.bootstrap),
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
        data = _encode(value)
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


@dataclass(frozen=True)
class Publication:
    """One message an InMemoryPublisher took: its topic, key and value (decoded from the JSON it was sent as)."""

    topic: str
    key: str
    value: dict[str, Any]


class InMemoryPublisher:
    """Records what is published instead of sending it: one partition per topic, offsets counting from 0.

    The value goes through the same JSON encoding as on Kafka, so what is recorded is what a consumer would
    read. `fail(reason)` makes every later send raise PublishFailed (the broker being down) until `recover()`.
    """

    def __init__(self) -> None:
        self.published: list[Publication] = []
        self.failure: str | None = None

    def fail(self, reason: str = "Kafka is unreachable (in-memory publisher told to fail)") -> None:
        """Refuse every later message with PublishFailed(`reason`)."""
        self.failure = reason

    def recover(self) -> None:
        """Take messages again."""
        self.failure = None

    def on(self, topic: str) -> list[Publication]:
        """What was published on `topic`, in order."""
        return [p for p in self.published if p.topic == topic]

    def find(self, message_id: str, *, field: str = "id") -> Publication:
        """The one publication whose value's `field` is `message_id`; AssertionError when there is not exactly one."""
        found = [p for p in self.published if p.value.get(field) == message_id]
        if len(found) != 1:
            raise AssertionError(f"{len(found)} publications with {field}={message_id!r}, expected 1")
        return found[0]

    async def send_json(self, topic: str, key: str, value: dict[str, Any]) -> Published:
        """Record `value` (as it would be read back from Kafka) under `key`, unless told to fail."""
        if self.failure is not None:
            raise PublishFailed(self.failure)
        decoded: dict[str, Any] = json.loads(_encode(value))
        offset = len(self.on(topic))
        self.published.append(Publication(topic, key, decoded))
        return Published(topic, 0, offset)

    async def close(self) -> None:
        """Nothing to flush: what was published stays readable."""
