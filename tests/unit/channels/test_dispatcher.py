"""The Dispatcher: retries with backoff, stops on permanent errors, deduplicates, records every attempt."""

from __future__ import annotations

import asyncio

import pytest

from infra.channels import (
    AttemptOutcome,
    DeliveryStatus,
    ExerciseIsolationViolation,
    ExerciseRegistry,
    InMemoryDeliveryStore,
    MemorySink,
    OutboundMessage,
    PermanentDeliveryError,
    RetryPolicy,
    TemporaryDeliveryError,
)
from infra.channels.dispatcher import Dispatcher, delivery_key
from infra.channels.scheduler import PageScheduler
from tests.unit.channels.fakes import FakeTime, ScriptedChannel, dispatcher, message, recipient


async def test_a_healthy_channel_delivers_on_the_first_attempt() -> None:
    channel = ScriptedChannel()
    result = await dispatcher([channel]).deliver(message(), recipient(), "fake")
    assert result.status is DeliveryStatus.DELIVERED
    assert [(a.number, a.outcome, a.channel) for a in result.attempts] == [(1, AttemptOutcome.OK, "fake")]
    assert channel.sent == [("addr-r-1", message())]


async def test_temporary_failures_back_off_exponentially_up_to_the_cap() -> None:
    time = FakeTime()
    channel = ScriptedChannel(script=[TemporaryDeliveryError(f"busy {n}") for n in range(4)])
    retry = RetryPolicy(max_attempts=5, base_delay=1.0, factor=3.0, max_delay=10.0)
    result = await dispatcher([channel], time=time, retry=retry).deliver(message(), recipient(), "fake")
    assert result.status is DeliveryStatus.DELIVERED
    assert time.sleeps == [1.0, 3.0, 9.0, 10.0]
    assert [a.error for a in result.attempts] == ["busy 0", "busy 1", "busy 2", "busy 3", None]
    assert (result.attempts[-1].at - result.attempts[0].at).total_seconds() == 23.0


async def test_a_permanent_failure_is_not_retried() -> None:
    time = FakeTime()
    channel = ScriptedChannel(script=[TemporaryDeliveryError("busy"), PermanentDeliveryError("no such number")])
    result = await dispatcher([channel], time=time).deliver(message(), recipient(), "fake")
    assert result.status is DeliveryStatus.FAILED
    assert result.reason == "no such number"
    assert [a.outcome for a in result.attempts] == [AttemptOutcome.TEMPORARY_ERROR, AttemptOutcome.PERMANENT_ERROR]
    assert channel.calls == 2


async def test_a_channel_bug_fails_the_delivery_without_retrying() -> None:
    channel = ScriptedChannel(script=[KeyError("oops")])
    result = await dispatcher([channel]).deliver(message(), recipient(), "fake")
    assert result.status is DeliveryStatus.FAILED
    assert "KeyError" in (result.reason or "")
    assert channel.calls == 1


async def test_a_delivered_key_is_a_duplicate_the_second_time_and_sends_nothing() -> None:
    channel, store = ScriptedChannel(), InMemoryDeliveryStore()
    deliver = dispatcher([channel], store=store).deliver
    first = await deliver(message(), recipient(), "fake")
    second = await deliver(message(), recipient(), "fake")
    assert (first.status, second.status) == (DeliveryStatus.DELIVERED, DeliveryStatus.DUPLICATE)
    assert second.attempts == ()
    assert len(channel.sent) == 1
    assert await store.seen(delivery_key(message(), "fake"))


async def test_a_new_attempt_key_is_a_new_delivery() -> None:
    channel = ScriptedChannel()
    deliver = dispatcher([channel]).deliver
    await deliver(message(), recipient(), "fake")
    again = await deliver(message(attempt_key="manual-resend-1"), recipient(), "fake")
    assert again.status is DeliveryStatus.DELIVERED
    assert len(channel.sent) == 2


async def test_concurrent_redeliveries_of_one_key_send_once() -> None:
    channel = ScriptedChannel()
    deliver = dispatcher([channel]).deliver
    results = await asyncio.gather(*(deliver(message(), recipient(), "fake") for _ in range(10)))
    assert sorted(r.status for r in results) == [DeliveryStatus.DELIVERED] + [DeliveryStatus.DUPLICATE] * 9
    assert len(channel.sent) == 1


async def test_a_failed_delivery_is_tried_again_when_the_event_is_redelivered() -> None:
    channel = ScriptedChannel(script=[PermanentDeliveryError("down")])
    deliver = dispatcher([channel]).deliver
    assert (await deliver(message(), recipient(), "fake")).status is DeliveryStatus.FAILED
    assert (await deliver(message(), recipient(), "fake")).status is DeliveryStatus.DELIVERED


async def test_the_same_message_on_two_channels_is_two_deliveries() -> None:
    fake, other = ScriptedChannel("fake"), ScriptedChannel("email")
    deliver = dispatcher([fake, other]).deliver
    assert (await deliver(message(), recipient(), "fake")).status is DeliveryStatus.DELIVERED
    assert (await deliver(message(), recipient(), "email")).status is DeliveryStatus.DELIVERED


async def test_an_unknown_channel_or_a_missing_address_fails_with_the_reason() -> None:
    deliver = dispatcher([ScriptedChannel()]).deliver
    unknown = await deliver(message(), recipient(), "pager")
    assert unknown.status is DeliveryStatus.FAILED
    assert "pager" in (unknown.reason or "")
    no_address = await deliver(message(), recipient(email="x@example.org"), "fake")
    assert no_address.status is DeliveryStatus.FAILED
    assert "no address on channel 'fake'" in (no_address.reason or "")


async def test_a_channel_refuses_to_send_outside_the_dispatcher() -> None:
    channel = ScriptedChannel()
    with pytest.raises(ExerciseIsolationViolation, match="Dispatcher"):
        await channel.send(message(), "addr-r-1")
    assert channel.calls == 0


def test_the_sink_cannot_double_as_an_ordinary_channel() -> None:
    sink = MemorySink()
    with pytest.raises(ValueError, match="sink"):
        dispatcher([sink], sink=sink)


def test_retry_policy_delays_and_validation() -> None:
    policy = RetryPolicy(max_attempts=4, base_delay=0.5, factor=2.0, max_delay=1.5)
    assert [policy.delay(n) for n in (1, 2, 3, 4)] == [0.5, 1.0, 1.5, 1.5]
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)
    assert FakeTime().sleeps == []


class _BeginLog(InMemoryDeliveryStore):
    """An in-memory store that also lists the keys logged `sending`, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.begun: list[str] = []

    async def begin(self, key: str) -> None:
        """Remember that a send under `key` starts."""
        self.begun.append(key)


class _GatedChannel(ScriptedChannel):
    """A channel whose sends wait until the gate opens."""

    def __init__(self, gate: asyncio.Event) -> None:
        super().__init__()
        self.gate = gate

    async def _transmit(self, message: OutboundMessage, address: str) -> None:
        await self.gate.wait()
        await super()._transmit(message, address)


async def test_a_page_waiting_for_a_channel_slot_is_not_logged_sending_until_its_turn() -> None:
    # A key left `sending` by a crash is reported in doubt and never sent again (docs/adr/0016), so a page that
    # was only queued behind the channel's concurrency limit must not be logged `sending` before it is sent.
    gate, store, time = asyncio.Event(), _BeginLog(), FakeTime()
    channel = _GatedChannel(gate)
    deliver = Dispatcher(
        {"fake": channel}, ExerciseRegistry(), MemorySink(), store, time, sleep=time.sleep,
        scheduler=PageScheduler(per_channel=1),
    ).deliver  # fmt: skip
    first = asyncio.create_task(deliver(message("r-1"), recipient("r-1"), "fake"))
    second = asyncio.create_task(deliver(message("r-2"), recipient("r-2"), "fake"))
    for _ in range(50):
        await asyncio.sleep(0)
    assert store.begun == [delivery_key(message("r-1"), "fake")]
    gate.set()
    await asyncio.gather(first, second)
    assert store.begun == [delivery_key(message(f"r-{n}"), "fake") for n in (1, 2)]
    assert len(channel.sent) == 2
