"""The live feed: events from Kafka as they happen, filtered by the caller's rights, resumable without gaps.

A real server on the real broker (the `broker` marker follows from `broker_settings`), except for the checks
made before Kafka is read."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from api.app import create_app
from api.events import decode_position, encode_position
from infra.kafka.security import client_options
from infra.settings import Settings
from infra.wire import EventType
from playbooks import PlaybookLibrary
from playbooks.organisation import Organisation
from tests.api.conftest import EXERCISE, Tokens
from tests.api.server import serving


def event(
    n: int, *, mode: str = "actual", items: list[dict[str, Any]] | None = None, kind: str = EventType.NOTE_ADDED
) -> dict[str, Any]:
    incident = f"inc-feed-{n % 2}"
    return {
        "id": str(uuid.uuid4()),
        "type": kind,
        "time": "2026-06-01T08:00:00+00:00",
        "mode": mode,
        "exercise_id": EXERCISE if mode == "exercise" else None,
        "incident_id": incident,
        "causation": None,
        "v": 1,
        "payload": {"seq": n, "event": {"text": f"note {n}", "items": items or []}, "incident": {"id": incident}},
    }


async def publish(settings: Settings, *events: dict[str, Any]) -> None:
    producer = AIOKafkaProducer(**client_options(settings.kafka_bootstrap), acks="all")
    await producer.start()
    try:
        for value in events:
            await producer.send_and_wait(
                settings.topic("incident-events"), json.dumps(value).encode(), key=value["incident_id"].encode()
            )
    finally:
        await producer.stop()


@pytest.fixture
def base_url(
    broker_settings: Settings, db: object, organisation: Organisation, library: PlaybookLibrary
) -> Iterator[str]:
    with serving(create_app(broker_settings, organisation=organisation, playbook_library=library)) as url:
        yield url


async def read_events(
    base: str, headers: dict[str, str], count: int, **params: Any
) -> list[tuple[str, dict[str, Any]]]:
    """The first `count` events of the feed as (id, data)."""
    found: list[tuple[str, dict[str, Any]]] = []
    async with (
        asyncio.timeout(30),
        httpx.AsyncClient(base_url=base, timeout=30) as http,
        http.stream("GET", "/api/v1/events/stream", headers=headers, params={"max_events": count, **params}) as reply,
    ):
        assert reply.status_code == 200, await reply.aread()
        assert reply.headers["content-type"].startswith("text/event-stream")
        last_id = ""
        async for line in reply.aiter_lines():
            if line.startswith("id: "):
                last_id = line[4:]
            elif line.startswith("data: "):
                found.append((last_id, json.loads(line[6:])))
    return found


async def test_events_stream_live_and_resume_from_last_event_id(
    base_url: str, broker_settings: Settings, tokens: Tokens
) -> None:
    headers = tokens.role("duty_officer")
    reader = asyncio.ensure_future(read_events(base_url, headers, 3))
    await asyncio.sleep(1.5)  # the feed starts at "now": subscribe first, then publish
    first = [event(n) for n in range(3)]
    await publish(broker_settings, *first)
    got = await asyncio.wait_for(reader, 30)
    assert [data["id"] for _, data in got] == [e["id"] for e in first]

    # the browser goes away after the second event; more happen; it comes back with Last-Event-ID
    later = [event(n) for n in range(3, 6)]
    await publish(broker_settings, *later)
    resumed = await read_events(base_url, {**headers, "Last-Event-ID": got[1][0]}, 4)
    assert [data["id"] for _, data in resumed] == [first[2]["id"]] + [e["id"] for e in later]


async def test_the_feed_shows_only_what_the_caller_may_see(
    base_url: str, broker_settings: Settings, tokens: Tokens
) -> None:
    start = await read_position(broker_settings)
    drill = event(10, mode="exercise")
    planned = event(
        11, kind=EventType.ACTIONS_PLANNED, items=[{"key": "a", "owner": "cdc"}, {"key": "b", "owner": "police"}]
    )
    actual = event(12)
    await publish(broker_settings, drill, planned, actual)
    observer = await read_events(base_url, {**tokens.role("observer"), "Last-Event-ID": start}, 2)
    assert [d["id"] for _, d in observer] == [planned["id"], actual["id"]]
    controller = await read_events(base_url, {**tokens.headers("controller"), "Last-Event-ID": start}, 1)
    assert [d["id"] for _, d in controller] == [drill["id"]]
    unit = await read_events(base_url, {**tokens.role("unit_responder"), "Last-Event-ID": start}, 1)
    assert unit[0][1]["event"]["items"] == [{"key": "a", "owner": "cdc"}]
    assert unit[0][1]["incident"] is None


async def read_position(settings: Settings) -> str:
    """The feed's current end: a Last-Event-ID from which only later events follow (the test topic has 1
    partition)."""
    consumer = AIOKafkaConsumer(**client_options(settings.kafka_bootstrap), group_id=None)
    await consumer.start()
    try:
        tp = TopicPartition(settings.topic("incident-events"), 0)
        ends = await consumer.end_offsets([tp])
    finally:
        await consumer.stop()
    return encode_position({0: ends[tp]})


async def test_a_bad_last_event_id_is_400(client: httpx.AsyncClient, tokens: Tokens) -> None:
    reply = await client.get("/api/v1/events/stream", headers={**tokens.role("observer"), "Last-Event-ID": "x"})
    assert reply.status_code == 400
    assert "Last-Event-ID" in reply.json()["detail"]


def test_positions_round_trip() -> None:
    assert decode_position(encode_position({0: 17, 2: 9, 1: 4})) == {0: 17, 1: 4, 2: 9}
