"""Rebuild the read model from the event logs (DESIGN invariant 1: the database is a projection).

`incident-events` and `drill-events` (docs/adr/0018) are replayed alike: each message goes to the projection of
its type, so one replay may read both topics.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
from collections.abc import AsyncGenerator, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy import select

from infra.db.drills import DRILL_EVENT_TYPES, DrillEventInvalid, apply_drill_event, apply_drill_events
from infra.db.engine import Database
from infra.db.models import (
    ActionRow,
    Base,
    CaseRow,
    DrillRunRow,
    IncidentRow,
    LevelHistoryRow,
    NotificationRow,
    TimelineRow,
)
from infra.db.projection import apply_events
from infra.kafka.reading import from_start

PROJECTED_TABLES: tuple[type[Base], ...] = (
    IncidentRow,
    TimelineRow,
    LevelHistoryRow,
    ActionRow,
    NotificationRow,
    CaseRow,
    DrillRunRow,
)
"""The tables that are a pure function of the event logs."""
log = structlog.get_logger("tocsin.rebuild")


class NoSuchTopic(LookupError):
    """The topic to replay does not exist (yet)."""


BATCH_EVENTS = 5000
"""Events applied per transaction during a replay (the bulk upserts of infra.db.projection make each one cheap)."""
REPLAY_FETCH_BYTES = 8 << 20
"""Bytes a replay fetches per partition and request (the consumer's default is 1 MiB)."""


async def replay(
    bootstrap: str,
    topic: str | Sequence[str],
    db: Database,
    *,
    progress: Callable[[int, int], None] | None = None,
    batch: int = BATCH_EVENTS,
) -> int:
    """Apply every event on `topic` (or on each of several topics, in turn), from the beginning to the current
    end, to `db`, `batch` events per transaction; return how many. With several topics, those that do not exist
    yet are skipped (an older deployment has no `drill-events`); NoSuchTopic when none exists."""
    topics = [topic] if isinstance(topic, str) else list(topic)
    applied, found = 0, 0
    for name in topics:
        try:
            applied = await _replay_topic(bootstrap, name, db, applied, progress, batch)
            found += 1
        except NoSuchTopic:  # not any LookupError: a KeyError from a malformed event must not skip a topic
            if len(topics) == 1:
                raise
    if not found:
        raise NoSuchTopic(f"none of the topics {', '.join(topics)} exists on {bootstrap}: nothing to replay")
    return applied


async def _replay_topic(
    bootstrap: str, topic: str, db: Database, applied: int, progress: Callable[[int, int], None] | None, batch: int
) -> int:
    """Replay one topic, a batch per transaction; return the running count of applied events.

    While one batch is written, the next is read and decoded: the replay goes at the pace of the slower side.
    """
    start, total = applied, applied
    writing: asyncio.Task[None] | None = None
    try:
        async with contextlib.aclosing(read_log(bootstrap, topic, batch)) as batches:
            async for messages, held in batches:
                total = start + held
                if writing is not None:
                    await writing
                    if progress is not None:
                        progress(applied, total)
                writing = asyncio.create_task(apply_any(db, messages))
                applied += len(messages)
        if writing is not None:
            await writing
    finally:
        if writing is not None and not writing.done():
            writing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writing
    if progress is not None:
        progress(applied, total)
    return applied


async def read_log(
    bootstrap: str, topic: str, batch: int = BATCH_EVENTS
) -> AsyncGenerator[tuple[list[Any], int], None]:
    """`topic` from its first offsets up to its end offsets as of now, in decoded batches of up to `batch` records
    across its partitions (each partition in order), each with how many records the topic held; NoSuchTopic when
    there is no such topic. Use it under `contextlib.aclosing`."""
    async with from_start(bootstrap, topic, fetch_bytes=REPLAY_FETCH_BYTES) as (consumer, partitions):
        if not partitions:
            raise NoSuchTopic(f"topic {topic} does not exist on {bootstrap}: nothing to replay")
        ends = await consumer.end_offsets(partitions)
        held = sum(ends.values())
        remaining = {tp for tp in partitions if ends[tp] > 0}
        while remaining:
            messages = await _next_batch(consumer, remaining, ends, batch)
            if messages:
                yield messages, held


async def _next_batch(
    consumer: AIOKafkaConsumer, remaining: set[TopicPartition], ends: dict[TopicPartition, int], size: int
) -> list[Any]:
    """Up to `size` decoded records of the partitions in `remaining`, each partition's in order; a partition read
    up to its end offset (as of the start) leaves `remaining`."""
    messages: list[Any] = []
    while remaining and len(messages) < size:
        fetched = await consumer.getmany(*remaining, timeout_ms=1000, max_records=size - len(messages))
        messages.extend(decode([record.value for records in fetched.values() for record in records]))
        for tp in fetched:
            if await consumer.position(tp) >= ends[tp]:
                remaining.discard(tp)
    return messages


def decode(values: Sequence[bytes]) -> list[Any]:
    """The JSON values of a batch of records.

    Python's cyclic collector is paused meanwhile: parsing makes no cycles, and a collection every few hundred new
    objects, each one walking every message already held, cost twice the parse itself in a replay.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        return [json.loads(value) for value in values]
    finally:
        if collecting:
            gc.enable()


async def apply_any(db: Database, messages: Sequence[dict[str, Any]]) -> None:
    """Project a batch in order, each run of incident events together and each run of drill events together
    (a malformed drill event is skipped, as the worker does)."""
    run: list[dict[str, Any]] = []
    drills = False
    for message in messages:
        is_drill = isinstance(message, dict) and message.get("type") in DRILL_EVENT_TYPES
        if run and is_drill != drills:
            await _apply_run(db, run, drills=drills)
            run = []
        run.append(message)
        drills = is_drill
    if run:
        await _apply_run(db, run, drills=drills)


async def _apply_run(db: Database, run: list[dict[str, Any]], *, drills: bool) -> None:
    """Project a run of events of one log: incident events in one batch; drill events in one transaction, or one
    by one when one of them is malformed."""
    if not drills:
        await apply_events(db, run)
        return
    try:
        await apply_drill_events(db, run)
    except DrillEventInvalid:
        for message in run:
            try:
                await apply_drill_event(db, message)
            except DrillEventInvalid as exc:
                log.warning("rebuild.drill_event.skipped", reason=str(exc))


async def table_rows(db: Database) -> dict[str, list[dict[str, Any]]]:
    """Every projected table's rows as plain dicts, sorted by primary key (for comparing two databases)."""
    found: dict[str, list[dict[str, Any]]] = {}
    async with db.session() as session:
        for model in PROJECTED_TABLES:
            table = model.__table__
            keys = [c.name for c in model.__mapper__.primary_key]
            rows = (await session.execute(select(table))).mappings().all()
            found[model.__tablename__] = sorted(
                ({k: _plain(v) for k, v in r.items()} for r in rows), key=lambda r: [str(r[k]) for k in keys]
            )
    return found


def _plain(value: Any) -> Any:
    """Compare datetimes by instant in UTC: SQLite drops the offset that PostgreSQL keeps."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None).isoformat()
    if isinstance(value, datetime):
        return value.isoformat()
    return value
