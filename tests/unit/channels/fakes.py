"""Fakes for delivery tests: a clock whose sleep advances it, a scripted channel, message factories."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta, timezone

from infra.channels import (
    CapDetails,
    Channel,
    Circuits,
    DeliveryStore,
    ExerciseRegistry,
    InMemoryDeliveryStore,
    MemorySink,
    Mode,
    OutboundMessage,
    Recipient,
    RetryPolicy,
    idempotency_key,
)
from infra.channels.dispatcher import Dispatcher

CST = timezone(timedelta(hours=8))
START = datetime(2026, 11, 29, 8, 0, 0, tzinfo=CST)


class FakeTime:
    """A clock and a sleep in one: sleeping advances the clock and records the delay."""

    def __init__(self, start: datetime = START) -> None:
        self.current = start
        self.sleeps: list[float] = []

    def now(self) -> datetime:
        """The fake current time."""
        return self.current

    async def sleep(self, seconds: float) -> None:
        """Record `seconds` and move the clock on by it."""
        self.sleeps.append(seconds)
        self.current += timedelta(seconds=seconds)


class ScriptedChannel(Channel):
    """A channel that raises the scripted errors in turn, then succeeds; records what it sent."""

    def __init__(self, name: str = "fake", script: Iterable[Exception] = ()) -> None:
        self.name = name
        self.script = list(script)
        self.sent: list[tuple[str, OutboundMessage]] = []
        self.calls = 0

    async def _transmit(self, message: OutboundMessage, address: str) -> None:
        self.calls += 1
        if self.script:
            raise self.script.pop(0)
        self.sent.append((address, message))


def recipient(rid: str = "r-1", **contacts: str) -> Recipient:
    """A recipient with the given contacts (default: a fake and an e-mail address)."""
    return Recipient(
        id=rid,
        name=f"张三-{rid}",
        unit="区疾控中心",
        role="值班员",
        contacts=contacts or {"fake": f"addr-{rid}", "email": f"{rid}@example.org"},
    )


def message(
    recipient_id: str = "r-1",
    *,
    mode: Mode = "actual",
    exercise_id: str | None = None,
    incident: str = "INC-1",
    action: str = "notify_cdc",
    attempt_key: str = "",
    subject: str = "【IV级】学校食堂疑似食物中毒",
    body: str = "患病 35 人，死亡 0 人。请立即按职责开展处置。",
    level: str | None = "IV",
    cap: CapDetails | None = None,
) -> OutboundMessage:
    """An outbound message for tests (Chinese by default)."""
    key = idempotency_key(incident, action, recipient_id, attempt_key)
    return OutboundMessage(
        id=f"msg-{key[:16]}",
        idempotency_key=key,
        incident_id=incident,
        action_key=action,
        subject=subject,
        body=body,
        created_at=START,
        mode=mode,
        exercise_id=exercise_id,
        level=level,
        cap=cap,
    )


def dispatcher(
    channels: Iterable[Channel],
    *,
    registry: ExerciseRegistry | None = None,
    sink: Channel | None = None,
    time: FakeTime | None = None,
    retry: RetryPolicy | None = None,
    store: DeliveryStore | None = None,
    circuits: Circuits | None = None,
) -> Dispatcher:
    """A Dispatcher over `channels` with fake time, an in-memory store and a memory sink by default."""
    time = time or FakeTime()
    return Dispatcher(
        {channel.name: channel for channel in channels},
        registry or ExerciseRegistry(),
        sink or MemorySink(),
        store or InMemoryDeliveryStore(),
        time,
        retry or RetryPolicy(max_attempts=5, base_delay=0.5, factor=2.0, max_delay=4.0),
        sleep=time.sleep,
        circuits=circuits,
    )
