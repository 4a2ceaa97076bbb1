"""The one base class of every channel, and the clearance that only the Dispatcher grants.

A channel's public `send` refuses to transmit unless the Dispatcher, after applying the exercise guard,
has cleared exactly this message for exactly this address in the current task. Calling a channel directly
therefore raises ExerciseIsolationViolation: the Dispatcher is the only way to deliver.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import final

from infra.channels.errors import ExerciseIsolationViolation
from infra.channels.model import OutboundMessage

__all__ = ["Channel", "MemorySink"]

_clearance: ContextVar[tuple[str, str, str] | None] = ContextVar("tocsin_channel_clearance", default=None)


@contextmanager
def cleared(channel: Channel, message: OutboundMessage, address: str) -> Iterator[None]:
    """Clear `message` for `address` on `channel` for the duration of the block (Dispatcher use only)."""
    token = _clearance.set((channel.name, message.id, address))
    try:
        yield
    finally:
        _clearance.reset(token)


class Channel(ABC):
    """A way to reach an address: subclasses set `name` and implement `_transmit`, raising DeliveryErrors."""

    name: str = "channel"

    @final
    async def send(self, message: OutboundMessage, address: str) -> None:
        """Send `message` to `address`; only within the Dispatcher's clearance."""
        if _clearance.get() != (self.name, message.id, address):
            raise ExerciseIsolationViolation(
                f"channel {self.name!r} refused message {message.id!r}: deliver through the Dispatcher, "
                "which applies the exercise guard"
            )
        await self._transmit(message, address)

    @abstractmethod
    async def _transmit(self, message: OutboundMessage, address: str) -> None:
        """Transmit an already cleared and marked message; raise Temporary/PermanentDeliveryError on failure."""

    def circuit(self, address: str) -> str:
        """The circuit breaker `address` is behind (infra/channels/circuits.py): the channel's one server by
        default (the SMTP server, the SMS gateway); channels that reach each address on its own endpoint refine it."""
        return self.name


class MemorySink(Channel):
    """An exercise sink that keeps every diverted message in memory, for drills and tests."""

    def __init__(self, name: str = "exercise_sink") -> None:
        self.name = name
        self.entries: list[tuple[str, OutboundMessage]] = []

    async def _transmit(self, message: OutboundMessage, address: str) -> None:
        if not message.is_exercise:
            raise ExerciseIsolationViolation(f"actual message {message.id!r} must never reach the exercise sink")
        self.entries.append((address, message))

    @property
    def messages(self) -> list[OutboundMessage]:
        """The messages received so far, oldest first."""
        return [message for _, message in self.entries]
