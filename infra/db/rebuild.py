"""Rebuild the read model from the event logs (DESIGN invariant 1: the database is a projection).

`incident-events` and `drill-events` (docs/adr/0018) are replayed alike: each message goes to the projection of
its type, so one replay may read both topics.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import multiprocessing
from collections.abc import AsyncGenerator, Callable, Collection, Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from typing import Any

import orjson
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
from infra.kafka.admin import partition_count
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
REPLAY_PROCESSES = 1
"""Worker processes `tocsin projector rebuild` uses by default. More pay off on a host with idle cores (1.6x with
two here when a core was free); on a saturated one they only add their start-up, so more is opt-in."""
REPLAY_FETCH_BYTES = 8 << 20
"""Bytes a replay fetches per partition and request (the consumer's default is 1 MiB)."""


async def replay(
    bootstrap: str,
    topic: str | Sequence[str],
    db: Database,
    *,
    progress: Callable[[int, int], None] | None = None,
    batch: int = BATCH_EVENTS,
    processes: int = 1,
) -> int:
    """Apply every event on `topic` (or on each of several topics, in turn), from the beginning to the current
    end, to `db`, `batch` events per transaction; return how many. With several topics, those that do not exist
    yet are skipped (an older deployment has no `drill-events`); NoSuchTopic when none exists.

    `processes` > 1: each topic's partitions are shared among that many worker processes (see `replay_shared`)."""
    topics = [topic] if isinstance(topic, str) else list(topic)
    applied, found = 0, 0
    for name in topics:
        shown = None if progress is None else functools.partial(_shifted, progress, applied)
        try:
            if processes > 1 and not _in_memory(db):
                applied += await replay_shared(bootstrap, name, db, progress=shown, batch=batch, processes=processes)
            else:
                applied += await replay_topic(bootstrap, name, db, progress=shown, batch=batch)
            found += 1
        except NoSuchTopic:  # not any LookupError: a KeyError from a malformed event must not skip a topic
            if len(topics) == 1:
                raise
    if not found:
        raise NoSuchTopic(f"none of the topics {', '.join(topics)} exists on {bootstrap}: nothing to replay")
    return applied


def _shifted(progress: Callable[[int, int], None], before: int, done: int, total: int) -> None:
    """Report a topic's progress after the `before` events of the topics replayed earlier."""
    progress(before + done, before + total)


async def replay_topic(
    bootstrap: str,
    topic: str,
    db: Database,
    *,
    progress: Callable[[int, int], None] | None = None,
    batch: int = BATCH_EVENTS,
    only: Collection[int] | None = None,
) -> int:
    """Replay one topic (`only`: these partitions of it), a batch per transaction; return how many events.

    While one batch is written, the next is read and decoded: the replay goes at the pace of the slower side.
    """
    applied, total = 0, 0
    writing: asyncio.Task[None] | None = None
    try:
        async with contextlib.aclosing(read_log(bootstrap, topic, batch, only=only)) as batches:
            async for messages, held in batches:
                total = held
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


async def replay_shared(
    bootstrap: str,
    topic: str,
    db: Database,
    *,
    progress: Callable[[int, int], None] | None = None,
    batch: int = BATCH_EVENTS,
    processes: int = 2,
) -> int:
    """Replay one topic with worker processes, each replaying its share of the partitions (`replay_topic`) into
    the same database; return how many events.

    The shares never write the same row: an incident's events (or a drill's) are all in one partition, keyed by
    its id, and every projected row belongs to one incident or one drill. Decoding and projecting are CPU-bound
    Python, so a replay goes about as many times faster as there are idle cores, up to the partition count; on
    SQLite the writers take turns on the file's lock, each for a short executemany.
    """
    count = await partition_count(bootstrap, topic)
    if not count:
        raise NoSuchTopic(f"topic {topic} does not exist on {bootstrap}: nothing to replay")
    shares = [list(range(first, count, processes)) for first in range(min(processes, count))]
    context = multiprocessing.get_context("spawn")
    done: Any = context.Array("q", len(shares))  # events applied, one slot per share
    held: Any = context.Array("q", len(shares))  # events the share's partitions held
    url = db.url.render_as_string(hide_password=False)
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(len(shares), mp_context=context, initializer=_counters, initargs=(done, held)) as pool:
        work = asyncio.gather(
            *(
                loop.run_in_executor(pool, _replay_share, url, bootstrap, topic, share, batch, number)
                for number, share in enumerate(shares)
            )
        )
        while not work.done():
            await asyncio.wait([work], timeout=0.5)
            if progress is not None:
                progress(sum(done[:]), sum(held[:]))
        counts = await work
    if progress is not None:
        progress(sum(counts), sum(held[:]))
    return sum(counts)


_shared_counts: tuple[Any, Any] | None = None
"""In a worker process of `replay_shared`: the shared arrays of events applied and held, one slot per share."""


def _counters(done: Any, held: Any) -> None:
    """Worker process start-up: keep the shared progress arrays."""
    global _shared_counts
    _shared_counts = (done, held)


def _replay_share(url: str, bootstrap: str, topic: str, partitions: list[int], batch: int, number: int) -> int:
    """In a worker process: replay `partitions` of `topic` into the database at `url`; return how many events."""

    def shown(applied: int, total: int) -> None:
        if _shared_counts is not None:
            _shared_counts[0][number], _shared_counts[1][number] = applied, total

    async def go() -> int:
        db = Database(url)
        try:
            return await replay_topic(bootstrap, topic, db, progress=shown, batch=batch, only=partitions)
        finally:
            await db.dispose()

    return asyncio.run(go())


def _in_memory(db: Database) -> bool:
    """True for an in-memory SQLite database, which other processes cannot open."""
    return db.is_sqlite and db.url.database in (None, "", ":memory:")


async def read_log(
    bootstrap: str, topic: str, batch: int = BATCH_EVENTS, *, only: Collection[int] | None = None
) -> AsyncGenerator[tuple[list[Any], int], None]:
    """`topic` from its first offsets up to its end offsets as of now, in decoded batches of up to `batch` records
    across its partitions (each partition in order; `only`: just these partition numbers), each with how many
    records those partitions held; NoSuchTopic when there is no such topic. Use it under `contextlib.aclosing`."""
    async with from_start(bootstrap, topic, fetch_bytes=REPLAY_FETCH_BYTES, only=only) as (consumer, partitions):
        if not partitions and only is None:
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
        return [orjson.loads(value) for value in values]
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
