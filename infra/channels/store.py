"""Where the Dispatcher remembers deliveries, so a redelivered event never pages anyone twice."""

from __future__ import annotations

from typing import Protocol

from infra.channels.model import DeliveryResult

__all__ = ["DeliveryStore", "InMemoryDeliveryStore"]


class DeliveryStore(Protocol):
    """Delivery results by delivery key (idempotency key and channel)."""

    async def seen(self, key: str) -> bool:
        """True when a delivery under `key` already succeeded (delivered, or diverted to the exercise sink)."""
        ...

    async def begin(self, key: str) -> None:
        """Note, durably, that a send under `key` starts now: after a crash the key is in doubt, not free."""
        ...

    async def record(self, key: str, result: DeliveryResult) -> None:
        """Remember the final result of a delivery under `key` (failed ones too, for the timeline)."""
        ...


class InMemoryDeliveryStore:
    """A DeliveryStore in a dict, for tests and single-process runs."""

    def __init__(self) -> None:
        self.results: dict[str, list[DeliveryResult]] = {}

    async def seen(self, key: str) -> bool:
        """True when a delivery under `key` already succeeded."""
        return any(result.succeeded for result in self.results.get(key, ()))

    async def begin(self, key: str) -> None:
        """Nothing to do: an in-memory store does not outlive a crash."""

    async def record(self, key: str, result: DeliveryResult) -> None:
        """Append `result` to the history of `key`."""
        self.results.setdefault(key, []).append(result)
