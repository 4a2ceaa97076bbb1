"""The Dispatcher: the only public way to deliver. It deduplicates, applies the exercise guard, and retries."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import partial

import structlog

from infra.channels.base import Channel, cleared
from infra.channels.circuits import Circuits
from infra.channels.errors import DeliveryError, PermanentDeliveryError, TemporaryDeliveryError, UnknownChannelError
from infra.channels.isolation import ExerciseRegistry, Route, route
from infra.channels.model import (
    AttemptOutcome,
    DeliveryAttempt,
    DeliveryResult,
    DeliveryStatus,
    OutboundMessage,
    Recipient,
)
from infra.channels.scheduler import PageScheduler
from infra.channels.store import DeliveryStore
from infra.clock import Clock

__all__ = ["Dispatcher", "RetryPolicy", "delivery_key"]

log = structlog.get_logger("tocsin.channels")

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff: attempt n waits min(max_delay, base_delay * factor**(n-1)) seconds before n+1."""

    max_attempts: int = 5
    base_delay: float = 1.0
    factor: float = 2.0
    max_delay: float = 60.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.base_delay < 0 or self.factor < 1 or self.max_delay < 0:
            raise ValueError(f"invalid retry policy {self!r}")

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        return float(min(self.max_delay, self.base_delay * self.factor ** (attempt - 1)))


def delivery_key(message: OutboundMessage, channel: str) -> str:
    """The deduplication key of one delivery: the message's idempotency key on one channel."""
    return f"{message.idempotency_key}@{channel}"


@dataclass(frozen=True)
class _Job:
    """One message for one recipient on one named channel: what a delivery result is about."""

    message: OutboundMessage
    recipient: Recipient
    channel: str

    def result(
        self,
        status: DeliveryStatus,
        *,
        routed_to: str = "",
        attempts: tuple[DeliveryAttempt, ...] = (),
        reason: str | None = None,
    ) -> DeliveryResult:
        """The job's result: `status`, where it went (none before routing), the attempts and the reason."""
        return DeliveryResult(
            message_id=self.message.id,
            idempotency_key=self.message.idempotency_key,
            recipient_id=self.recipient.id,
            channel=self.channel,
            routed_to=routed_to,
            status=status,
            mode=self.message.mode,
            exercise_id=self.message.exercise_id,
            attempts=attempts,
            reason=reason,
        )


class Dispatcher:
    """Delivers messages through named channels, guarding exercises and retrying temporary failures."""

    def __init__(  # noqa: PLR0913 - the Dispatcher's collaborators; test seams keyword-only
        self,
        channels: Mapping[str, Channel],
        registry: ExerciseRegistry,
        sink: Channel,
        store: DeliveryStore,
        clock: Clock,
        retry: RetryPolicy | None = None,
        *,
        sleep: Sleep = asyncio.sleep,
        scheduler: PageScheduler | None = None,
        circuits: Circuits | None = None,
    ) -> None:
        if any(channel is sink for channel in channels.values()):
            raise ValueError("the exercise sink must not also be an ordinary channel")
        self._channels = dict(channels)
        self._registry = registry
        self._sink = sink
        self._store = store
        self._clock = clock
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self._scheduler = scheduler
        self._circuits = circuits or Circuits()
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    async def deliver(self, message: OutboundMessage, recipient: Recipient, channel_name: str) -> DeliveryResult:
        """Deliver `message` to `recipient` on `channel_name` once; raise only ExerciseIsolationViolation."""
        key = delivery_key(message, channel_name)
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                return await self._deliver_once(key, message, recipient, channel_name)
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    async def _deliver_once(
        self, key: str, message: OutboundMessage, recipient: Recipient, channel_name: str
    ) -> DeliveryResult:
        fields = {
            "message_id": message.id,
            "incident_id": message.incident_id,
            "action": message.action_key,
            "recipient_id": recipient.id,
            "channel": channel_name,
            "mode": message.mode,
            "exercise_id": message.exercise_id,
        }
        job = _Job(message, recipient, channel_name)
        if await self._store.seen(key):
            log.info("delivery.duplicate", **fields)
            return job.result(DeliveryStatus.DUPLICATE)
        try:
            decision = route(message, recipient, channel_name, self._registry)
            channel = self._sink if decision.to_sink else self._channel(channel_name)
        except (PermanentDeliveryError, UnknownChannelError) as error:
            result = job.result(DeliveryStatus.FAILED, reason=str(error))
            log.warning("delivery.failed", reason=str(error), **fields)
            await self._store.record(key, result)
            return result
        attempts = await self._attempt(channel, decision, recipient.id, key)
        last = attempts[-1]
        if last.outcome is AttemptOutcome.OK and decision.to_sink:
            diversion = decision.message.diversion
            status, reason = DeliveryStatus.DIVERTED, diversion.reason if diversion else None
        elif last.outcome is AttemptOutcome.OK:
            status, reason = DeliveryStatus.DELIVERED, None
        else:
            status, reason = DeliveryStatus.FAILED, last.error
        result = job.result(status, routed_to=channel.name, attempts=attempts, reason=reason)
        await self._store.record(key, result)
        emit = log.info if result.succeeded else log.warning
        emit(f"delivery.{status.value}", routed_to=channel.name, attempts=len(attempts), reason=reason, **fields)
        return result

    def _channel(self, name: str) -> Channel:
        try:
            return self._channels[name]
        except KeyError:
            raise UnknownChannelError(f"no channel named {name!r} (configured: {sorted(self._channels)})") from None

    @asynccontextmanager
    async def _turn(self, channel: Channel, decision: Route, recipient_id: str) -> AsyncIterator[None]:
        """A slot of the channel when a scheduler bounds it (none is held while backing off); else no wait."""
        if self._scheduler is None:
            yield
            return
        # per-person order holds within one incident; across incidents the more urgent page goes first
        queue = f"{decision.message.incident_id}|{recipient_id}"
        async with self._scheduler.slot(channel.name, queue, decision.message.priority):
            yield

    async def _attempt(
        self, channel: Channel, decision: Route, recipient_id: str, key: str
    ) -> tuple[DeliveryAttempt, ...]:
        """Send until one attempt is not a temporary error.

        The key is logged `sending` once the first attempt has its slot, right before it sends: a page still
        waiting for its turn when the worker dies is not in doubt (docs/adr/0016), it is sent after the restart.
        """
        attempts: list[DeliveryAttempt] = []
        for number in range(1, self._retry.max_attempts + 1):
            at = self._clock.now()
            async with self._turn(channel, decision, recipient_id):
                if number == 1:
                    await self._store.begin(key)
                attempt = await self._circuits.attempt(
                    channel.circuit(decision.address),
                    partial(self._send_once, channel, decision, number, at),
                    partial(DeliveryAttempt, number, at, channel.name, AttemptOutcome.TEMPORARY_ERROR),
                )
            attempts.append(attempt)
            if attempt.outcome is not AttemptOutcome.TEMPORARY_ERROR:
                break
            log.info(
                "delivery.retrying",
                message_id=decision.message.id,
                channel=channel.name,
                attempt=number,
                error=attempt.error,
            )
            if number < self._retry.max_attempts:
                await self._sleep(self._retry.delay(number))
        return tuple(attempts)

    @staticmethod
    async def _send_once(channel: Channel, decision: Route, number: int, at: datetime) -> DeliveryAttempt:
        """One send and its outcome; only a DeliveryError outside the channel's own errors is raised."""
        try:
            with cleared(channel, decision.message, decision.address):
                await channel.send(decision.message, decision.address)
        except TemporaryDeliveryError as error:
            return DeliveryAttempt(number, at, channel.name, AttemptOutcome.TEMPORARY_ERROR, str(error))
        except (PermanentDeliveryError, UnknownChannelError) as error:
            return DeliveryAttempt(number, at, channel.name, AttemptOutcome.PERMANENT_ERROR, str(error))
        except DeliveryError:
            raise
        except Exception as error:  # a channel bug: fail loudly into the result, do not retry it
            log.exception("delivery.channel_bug", message_id=decision.message.id, channel=channel.name)
            text = f"{type(error).__name__}: {error}"
            return DeliveryAttempt(number, at, channel.name, AttemptOutcome.PERMANENT_ERROR, text)
        return DeliveryAttempt(number, at, channel.name, AttemptOutcome.OK)
