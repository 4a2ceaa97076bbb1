"""The faust side of the wire contract: topics carry raw bytes, agents decode them into `infra.wire.Envelope`.

Nothing here defines a message shape (infra/wire does); this module only moves envelopes on and off
faust's topics, and sends an envelope that does not decode to the dead-letter topic instead of stopping the
worker on it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from typing import Protocol, cast

import faust
import structlog

from infra.clock import Clock
from infra.wire import DeadLetter, Envelope, WireError, dead_letter

log = structlog.get_logger("tocsin.streams")


class Sendable(Protocol):
    """What the agents need of a faust topic: send bytes under a key."""

    async def send(self, *, key: str | bytes | None, value: bytes) -> object:
        """Publish one message."""


async def send(topic: Sendable, key: str, message: Envelope) -> None:
    """Publish an envelope on a topic under `key` (buffered: it returns before the broker has it)."""
    await topic.send(key=key.encode("utf-8"), value=message.to_json())


async def send_tracked(topic: Sendable, key: str, message: Envelope) -> Awaitable[object]:
    """Publish an envelope under `key`; return what completes once the broker has durably written it."""
    pending = await topic.send(key=key.encode("utf-8"), value=message.to_json())
    return cast(Awaitable[object], pending)


async def send_dead_letter(topic: Sendable, letter: DeadLetter) -> None:
    """Publish a dead letter (original bytes, reason, source position)."""
    key = letter.key.encode("utf-8") if letter.key is not None else None
    await topic.send(key=key, value=letter.to_json())


def where(event: faust.EventT[bytes]) -> str:
    """`topic:partition:offset` of a consumed message."""
    return f"{event.message.topic}:{event.message.partition}:{event.message.offset}"


def raw_of(event: faust.EventT[bytes]) -> bytes:
    """The message value as bytes (empty for a tombstone)."""
    value = event.value
    return value if isinstance(value, bytes) else bytes(value or b"")


def letter_for(event: faust.EventT[bytes], reason: str, clock: Clock) -> DeadLetter:
    """A dead letter for the consumed message `event`."""
    key = event.key if isinstance(event.key, bytes) else None
    return dead_letter(
        raw_of(event),
        reason,
        topic=event.message.topic,
        partition=event.message.partition,
        offset=event.message.offset,
        key=key,
        time=clock.now().isoformat(),
    )


async def envelopes(
    stream: faust.StreamT[bytes], dead_letters: Sendable, clock: Clock
) -> AsyncIterator[tuple[faust.EventT[bytes], Envelope]]:
    """Decode each message of `stream`; one that is not an envelope goes to `dead_letters` with the reason."""
    async for event in stream.events():
        try:
            message = Envelope.from_json(raw_of(event))
        except WireError as exc:
            log.warning("envelope.rejected", at=where(event), reason=str(exc))
            await send_dead_letter(dead_letters, letter_for(event, str(exc), clock))
            continue
        yield event, message
