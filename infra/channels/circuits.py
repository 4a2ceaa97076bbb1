"""Circuit breakers per endpoint: one that keeps failing is not tried for a while.

A recipient's webhook that hangs holds a channel slot (infra/channels/scheduler.py) for the whole client timeout on
every attempt, and the notifier's event for the whole retry schedule; with one page a second to that person, the
slots run out and everybody else's pages wait (the crash matrix's `channel-hangs` fault: first pages to others at
p99 39 s). After `threshold` failed attempts in a row on one endpoint its circuit opens: attempts are refused at
once (a temporary failure, so the retry schedule goes on without holding a slot) until `open_for` seconds have
passed; then one attempt goes through, and its success closes the circuit again. Built on purgatory.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from purgatory import AsyncCircuitBreakerFactory
from purgatory.domain.model import OpenedState

from infra.channels.errors import DeliveryError
from infra.channels.model import AttemptOutcome, DeliveryAttempt

__all__ = ["Circuits", "endpoint_circuit"]

log = structlog.get_logger("tocsin.channels")


def endpoint_circuit(channel: str, address: str) -> str:
    """A circuit per address of a channel, named without the address (a bot's URL carries its access token)."""
    return f"{channel}:{hashlib.sha256(address.encode('utf-8')).hexdigest()[:12]}"


class _Failed(Exception):
    """An attempt that ended in a temporary error, raised through the breaker so that it counts."""

    def __init__(self, attempt: DeliveryAttempt) -> None:
        super().__init__(attempt.error)
        self.attempt = attempt


class Circuits:
    """One circuit breaker per endpoint: `threshold` temporary failures in a row open it for `open_for` seconds."""

    def __init__(self, threshold: int = 5, open_for: float = 30.0) -> None:
        if threshold < 1 or open_for <= 0:
            raise ValueError(f"a circuit needs threshold >= 1 and open_for > 0, not {threshold} and {open_for}")
        self.threshold = threshold
        self.open_for = open_for
        # a bug or an isolation violation raised by a channel is not the endpoint failing
        self._breakers = AsyncCircuitBreakerFactory(threshold, open_for, exclude=[DeliveryError])
        self._breakers.add_listener(self._changed)

    async def attempt(
        self,
        circuit: str,
        send: Callable[[], Awaitable[DeliveryAttempt]],
        refused: Callable[[str], DeliveryAttempt],
    ) -> DeliveryAttempt:
        """Make the attempt `send` through `circuit`'s breaker; while it is open, `refused(reason)` instead."""
        breaker = await self._breakers.get_breaker(circuit)
        try:
            async with breaker:
                attempt = await send()
                if attempt.outcome is AttemptOutcome.TEMPORARY_ERROR:
                    raise _Failed(attempt)
        except _Failed as failed:
            return failed.attempt
        except OpenedState:
            return refused(
                f"not sent: this endpoint failed {self.threshold} attempts in a row, "
                f"so it is not tried for {self.open_for:.0f} s"
            )
        return attempt

    @staticmethod
    def _changed(circuit: str, what: str, event: Any) -> None:
        if what == "state_changed":
            log.warning("delivery.circuit", circuit=circuit, state=getattr(event, "state", None))
