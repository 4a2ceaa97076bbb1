"""DESIGN invariant 5 under load: a flood of drill messages never reaches anyone outside its exercise."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from typing import Any

import httpx

from infra.channels import (
    EXERCISE_MARK,
    DeliveryStatus,
    DingTalkChannel,
    EmailChannel,
    ExerciseRegistry,
    MemorySink,
    Mode,
    Recipient,
    SmsGatewayChannel,
    WebhookChannel,
)
from tests.integration.channels.receivers import HttpReceiver, SmtpReceiver
from tests.unit.channels.fakes import FakeTime, dispatcher, message

PARTICIPANTS = {"EX-A": {"a1", "a2", "ab"}, "EX-B": {"b1", "ab"}}
PEOPLE = ["a1", "a2", "b1", "ab", "n1", "n2", "n3"]
CHANNELS = ["email", "webhook", "sms", "dingtalk"]


def people(http: HttpReceiver) -> dict[str, Recipient]:
    """Seven recipients with real addresses on every channel."""
    return {
        rid: Recipient(
            id=rid,
            name=f"成员{rid}",
            contacts={
                "email": f"{rid}@district.example",
                "webhook": f"{http.url}/hook/{rid}",
                "sms": f"+86138000000{index:02d}",
                "dingtalk": f"{http.url}/ding/{rid}?access_token={rid}",
            },
        )
        for index, rid in enumerate(PEOPLE)
    }


def shown_text(payload: dict[str, Any]) -> str:
    """What a person sees first: the SMS text, the webhook subject, or the bot's text content."""
    if isinstance(payload.get("text"), dict):
        return str(payload["text"]["content"])
    return str(payload.get("text") or payload["subject"])


async def test_a_flood_of_drill_messages_reaches_only_participants_of_their_exercise(
    http: HttpReceiver, smtp: SmtpReceiver, client: httpx.AsyncClient
) -> None:
    registry = ExerciseRegistry()
    for exercise_id, members in PARTICIPANTS.items():
        registry.register(exercise_id, members)
    sink = MemorySink()
    channels = [
        EmailChannel(smtp.host, smtp.port, "drill@district.example"),
        WebhookChannel(client),
        SmsGatewayChannel(client, f"{http.url}/sms"),
        DingTalkChannel(client, FakeTime()),
    ]
    deliver = dispatcher(channels, registry=registry, sink=sink).deliver
    directory = people(http)
    rng = random.Random(20261129)
    plan: list[tuple[Mode, str | None, str, str]] = [
        ("exercise", rng.choice(list(PARTICIPANTS)), rng.choice(PEOPLE), rng.choice(CHANNELS)) for _ in range(200)
    ] + [("actual", None, rng.choice(PEOPLE), rng.choice(CHANNELS)) for _ in range(20)]

    results = await asyncio.gather(
        *(
            deliver(message(rid, mode=mode, exercise_id=exercise, action=f"act-{n}"), directory[rid], channel)
            for n, (mode, exercise, rid, channel) in enumerate(plan)
        )
    )

    owner = {address: rid for rid, person in directory.items() for address in person.contacts.values()}
    received: list[tuple[str, str | None, str]] = []  # (recipient, exercise id, subject or text)
    for mail in smtp.mails:
        exercise_header = mail.message["X-Tocsin-Exercise-Id"]
        received.append(
            (owner[mail.rcpt_tos[0]], str(exercise_header) if exercise_header else None, str(mail.message["Subject"]))
        )
    for request in http.requests:
        rid = request.json()["to"] if request.path == "/sms" else request.path.split("/")[2].split("?")[0]
        rid = owner.get(rid, rid)
        received.append((rid, request.headers.get("X-Tocsin-Exercise-Id"), shown_text(request.json())))

    drills = [(rid, exercise, text) for rid, exercise, text in received if exercise is not None]
    to_outsiders = [(rid, exercise) for rid, exercise, _ in drills if rid not in PARTICIPANTS[exercise]]
    assert to_outsiders == []
    assert not [1 for rid, exercise, _ in drills if rid in {"n1", "n2", "n3"}]
    assert not [1 for rid, exercise, _ in drills if exercise == "EX-A" and rid == "b1"]
    assert all(text.startswith(EXERCISE_MARK) for _, _, text in drills)

    expected_real = sum(1 for mode, ex, rid, _ in plan if mode == "exercise" and ex and rid in PARTICIPANTS[ex])
    expected_diverted = sum(1 for mode, _, _, _ in plan if mode == "exercise") - expected_real
    assert len(drills) == expected_real
    assert len(received) - len(drills) == 20  # every actual message reached its real address
    assert expected_diverted > 50

    assert len(sink.messages) == expected_diverted
    for diverted in sink.messages:
        assert diverted.mode == "exercise"
        assert diverted.subject.startswith(EXERCISE_MARK)
        assert diverted.body.startswith(EXERCISE_MARK)
        assert diverted.diversion is not None and diverted.exercise_id is not None
        assert diverted.diversion.recipient_id not in PARTICIPANTS[diverted.exercise_id]
    assert {address for address, _ in sink.entries} <= {"exercise:EX-A", "exercise:EX-B"}

    statuses = Counter(result.status for result in results)
    assert statuses == {DeliveryStatus.DELIVERED: expected_real + 20, DeliveryStatus.DIVERTED: expected_diverted}
    assert all(result.routed_to != sink.name for result in results if result.mode == "actual")
