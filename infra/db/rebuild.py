"""Rebuild the read model from the incident event log (DESIGN invariant 1: the database is a projection)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from infra.db.engine import Database
from infra.db.models import ActionRow, Base, IncidentRow, LevelHistoryRow, NotificationRow, TimelineRow
from infra.db.projection import apply_events
from infra.kafka.reading import from_start

PROJECTED_TABLES: tuple[type[Base], ...] = (IncidentRow, TimelineRow, LevelHistoryRow, ActionRow, NotificationRow)
"""The tables that are a pure function of the event log."""


async def replay(bootstrap: str, topic: str, db: Database, *,
                 progress: Callable[[int, int], None] | None = None) -> int:
    """Apply every event on `topic`, from the beginning to the current end, to `db`; return how many."""
    applied = 0
    async with from_start(bootstrap, topic) as (consumer, partitions):
        if not partitions:
            raise LookupError(f"topic {topic} does not exist on {bootstrap}: nothing to replay")
        ends = await consumer.end_offsets(partitions)
        total = sum(ends.values())
        remaining = {tp for tp in partitions if ends[tp] > 0}
        while remaining:
            batch = await consumer.getmany(*remaining, timeout_ms=1000)
            for tp, messages in batch.items():
                await apply_events(db, [json.loads(m.value) for m in messages])
                applied += len(messages)
                if await consumer.position(tp) >= ends[tp]:
                    remaining.discard(tp)
            if progress is not None:
                progress(applied, total)
    return applied


async def table_rows(db: Database) -> dict[str, list[dict[str, Any]]]:
    """Every projected table's rows as plain dicts, sorted by primary key (for comparing two databases)."""
    found: dict[str, list[dict[str, Any]]] = {}
    async with db.session() as session:
        for model in PROJECTED_TABLES:
            table = model.__table__
            keys = [c.name for c in model.__mapper__.primary_key]
            rows = (await session.execute(select(table))).mappings().all()
            found[model.__tablename__] = sorted(({k: _plain(v) for k, v in r.items()} for r in rows),
                                       key=lambda r: [str(r[k]) for k in keys])
    return found


def _plain(value: Any) -> Any:
    """Compare datetimes by instant in UTC: SQLite drops the offset that PostgreSQL keeps."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None).isoformat()
    if isinstance(value, datetime):
        return value.isoformat()
    return value
