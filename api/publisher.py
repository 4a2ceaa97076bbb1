"""Publishing from the API: the `Publisher` protocol, its Kafka implementation (one idempotent producer, started
on first use) and an in-memory one that records what would have been published (tests, no broker)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any, Protocol

import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from infra.kafka.security import client_options

log = structlog.get_logger(__name__)


class PublishFailed(RuntimeError):
    """Kafka did not confirm the message. `in_doubt`: it was handed to the producer, so it may still be written
    (the idempotent producer retries until the broker returns); otherwise it was certainly not written."""

    def __init__(self, reason: str, *, in_doubt: bool = False) -> None:
        super().__init__(reason)
        self.in_doubt = in_doubt


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


DEFAULT_TIMEOUT = 8.0
"""Seconds a send waits for the broker's acknowledgement before the API answers 503 (docs/adr/0025)."""


class KafkaPublisher:
    """Sends JSON messages to Kafka and waits for the broker's acknowledgement (acks=all, idempotent producer).

    Every call is bounded by `timeout` seconds: with every broker down, aiokafka's idempotent producer retries a
    batch whose leader it still knows for ever, so an unbounded `send_and_wait` would hang the request. A send that
    times out is in doubt: the producer keeps the message and writes it if the broker comes back.
    """

    def __init__(self, bootstrap: str, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.bootstrap = bootstrap
        self.timeout = timeout
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
                    request_timeout_ms=max(1_000, int(self.timeout * 1000)),
                )
                try:
                    async with asyncio.timeout(self.timeout):
                        await producer.start()
                except (KafkaError, TimeoutError) as exc:
                    await producer.stop()
                    raise PublishFailed(f"Kafka at {self.bootstrap} is unreachable: {exc!r}") from exc
                self._producer = producer
            return self._producer

    async def send_json(self, topic: str, key: str, value: dict[str, Any]) -> Published:
        """Publish `value` as UTF-8 JSON under `key` and wait until it is durably written."""
        producer = await self._started()
        data = _encode(value)
        try:
            async with asyncio.timeout(self.timeout):
                meta = await producer.send_and_wait(topic, data, key=key.encode("utf-8"))
        except TimeoutError as exc:
            raise PublishFailed(
                f"Kafka did not confirm the message on {topic} within {self.timeout:g} s", in_doubt=True
            ) from exc
        except KafkaError as exc:
            raise PublishFailed(f"Kafka did not confirm the message on {topic}: {exc!r}", in_doubt=True) from exc
        return Published(meta.topic, meta.partition, meta.offset)

    async def close(self) -> None:
        """Flush and stop the producer; give up after a bound (messages still unconfirmed then stay unwritten)."""
        if self._producer is not None:
            producer, self._producer = self._producer, None
            try:
                async with asyncio.timeout(2 * self.timeout):
                    await producer.stop()
            except TimeoutError:
                log.warning("publisher.close.unflushed", bootstrap=self.bootstrap, waited_s=2 * self.timeout)


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
        self.in_doubt = False

    def fail(
        self, reason: str = "Kafka is unreachable (in-memory publisher told to fail)", *, in_doubt: bool = False
    ) -> None:
        """Refuse every later message with PublishFailed(`reason`), in doubt or not."""
        self.failure = reason
        self.in_doubt = in_doubt

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
            raise PublishFailed(self.failure, in_doubt=self.in_doubt)
        decoded: dict[str, Any] = json.loads(_encode(value))
        offset = len(self.on(topic))
        self.published.append(Publication(topic, key, decoded))
        return Published(topic, 0, offset)

    async def close(self) -> None:
        """Nothing to flush: what was published stays readable."""
