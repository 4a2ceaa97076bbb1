"""The live feed: incident events read straight from Kafka, with resumable positions (docs/adr/0012).

An event's SSE id is the feed's position after it: the next offset of every partition of the events topic,
e.g. "0:17,1:4,2:9". A client that reconnects with Last-Event-ID resumes exactly there, so it misses
nothing and sees nothing twice, however long it was away (within the topic's retention).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

import anyio
from aiokafka import AIOKafkaConsumer, TopicPartition

from api.access import sees_all_modes, unit_scoped
from infra.db.users import Identity
from infra.kafka.security import client_options
from infra.wire import EventType

_POSITION = re.compile(r"^\d{1,5}:\d{1,19}(,\d{1,5}:\d{1,19}){0,1023}$")
KEEPALIVE_SECONDS = 15.0


class BadPosition(ValueError):
    """A Last-Event-ID that is not a position this API issued."""


def encode_position(position: dict[int, int]) -> str:
    """'partition:next_offset,...' in partition order."""
    return ",".join(f"{p}:{o}" for p, o in sorted(position.items()))


def decode_position(text: str) -> dict[int, int]:
    """The position a Last-Event-ID stands for; BadPosition when it is not one."""
    if not _POSITION.match(text.strip()):
        raise BadPosition(f"Last-Event-ID {text[:60]!r} is not a feed position (expected e.g. '0:17,1:4')")
    return {int(p): int(o) for p, o in (part.split(":") for part in text.strip().split(","))}


@dataclass(frozen=True)
class FeedItem:
    """One step of the feed: the position after it, and the event (None for a keep-alive)."""

    position: dict[int, int]
    event: dict[str, Any] | None


async def tail(
    bootstrap: str, topic: str, start: dict[int, int] | None, *, idle: float = KEEPALIVE_SECONDS
) -> AsyncGenerator[FeedItem, None]:
    """Events of `topic` from `start` (None: from now on), with a keep-alive item after `idle` quiet seconds."""
    consumer = AIOKafkaConsumer(
        **client_options(bootstrap),
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        metadata_max_age_ms=5_000,
    )
    await consumer.start()
    try:
        partitions = await _partitions(consumer, topic)
        while not partitions:  # the topic does not exist yet: wait for the worker to create it
            yield FeedItem(dict(start or {}), None)
            await asyncio.sleep(idle)
            partitions = await _partitions(consumer, topic)
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        if start is None:
            await consumer.seek_to_end(*tps)
        else:
            for tp in tps:
                consumer.seek(tp, start.get(tp.partition, 0))
        position = {tp.partition: await consumer.position(tp) for tp in tps}
        while True:
            batch = await consumer.getmany(*tps, timeout_ms=int(idle * 1000), max_records=500)
            if not batch:
                yield FeedItem(dict(position), None)
                continue
            for tp, records in sorted(batch.items(), key=lambda item: item[0].partition):
                for record in records:
                    position[tp.partition] = record.offset + 1
                    yield FeedItem(dict(position), _decode(record.value))
    finally:
        with anyio.CancelScope(shield=True):  # a client that goes away cancels us; still close cleanly
            await consumer.stop()


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    # `consumer.topics()` fetches fresh metadata but returns only names, and `partitions_for_topic` reads a
    # cache that a manually assigned consumer never fills; this is the call `topics()` makes.
    cluster = await consumer._client.fetch_all_metadata()
    found: set[int] | None = cluster.partitions_for_topic(topic)
    return set(found or ())


def _decode(raw: bytes | None) -> dict[str, Any]:
    try:
        value = json.loads(raw or b"")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def visible(identity: Identity, event: dict[str, Any]) -> dict[str, Any] | None:
    """The event as the caller may see it, or None. Exercise scope as everywhere; a unit responder gets only
    task events, reduced to its unit's steps, without the incident snapshot."""
    if sees_all_modes(identity):
        pass
    elif identity.exercise_id is None:
        if event.get("mode") != "actual":
            return None
    elif event.get("mode") != "exercise" or event.get("exercise_id") != identity.exercise_id:
        return None
    payload: dict[str, Any] = event["payload"] if isinstance(event.get("payload"), dict) else {}
    data: dict[str, Any] = payload["event"] if isinstance(payload.get("event"), dict) else {}
    out = {
        "id": event.get("id"),
        "type": event.get("type"),
        "time": event.get("time"),
        "incident_id": event.get("incident_id"),
        "mode": event.get("mode"),
        "exercise_id": event.get("exercise_id"),
        "seq": payload.get("seq"),
        "event": data,
        "incident": payload.get("incident"),
    }
    if not unit_scoped(identity):
        return out
    kind = event.get("type")
    if kind == EventType.ACTIONS_PLANNED:
        items = [i for i in data.get("items") or [] if isinstance(i, dict) and i.get("owner") == identity.unit]
        return {**out, "event": {**data, "items": items}, "incident": None} if items else None
    if kind == EventType.ACTION_UPDATED:
        item: dict[str, Any] = data["item"] if isinstance(data.get("item"), dict) else {}
        return {**out, "incident": None} if item.get("owner") == identity.unit else None
    return None


def frame(position: dict[int, int], event: dict[str, Any] | None) -> str:
    """One SSE frame: an event with its id, or (for None) a keep-alive comment that still moves the id on."""
    pos = encode_position(position)
    if event is None:
        return f": keep-alive\nid: {pos}\n\n" if pos else ": keep-alive\n\n"
    data = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
    return f"id: {pos}\nevent: {event.get('type') or 'message'}\ndata: {data}\n\n"


async def frames(
    items: AsyncGenerator[FeedItem, None], identity: Identity, *, max_events: int | None = None, retry_ms: int = 3000
) -> AsyncIterator[str]:
    """SSE text for the caller: visible events, and keep-alives (which carry the position past hidden ones)."""
    yield f"retry: {retry_ms}\n\n"
    sent = 0
    async with aclosing(items):
        async for item in items:
            shown = visible(identity, item.event) if item.event is not None else None
            if shown is None:
                if item.event is None:
                    yield frame(item.position, None)
                continue
            yield frame(item.position, shown)
            sent += 1
            if max_events is not None and sent >= max_events:
                return
