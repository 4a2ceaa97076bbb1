"""The audit trail: every command the API takes, with who, when, what and from where. Append-only.

The repository offers only `record` and `entries`; the migration also installs database triggers that
refuse UPDATE and DELETE on the table, so not even a mistaken query can rewrite history.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from infra.db.auth_models import AuditRow
from infra.db.engine import Database

__all__ = ["AuditEntry", "AuditFilter", "entries", "record"]


@dataclass(frozen=True)
class AuditEntry:
    """What to record about one command."""

    at: datetime
    actor: str
    roles: tuple[str, ...]
    unit: str | None
    ip: str | None
    request_id: str | None
    command_id: str
    command_type: str
    topic: str
    incident_id: str | None
    mode: str
    exercise_id: str | None
    payload: dict[str, Any] = field(default_factory=dict)
    outcome: str = "published"
    detail: str = ""


@dataclass(frozen=True)
class AuditFilter:
    """Filters of the trail; None means any. `after` is the id of the last entry already seen."""

    incident_id: str | None = None
    actor: str | None = None
    exercise_id: str | None = None
    after: int | None = None
    limit: int = 100


async def record(db: Database, entry: AuditEntry) -> int:
    """Append one entry; return its id."""
    row = AuditRow(
        at=entry.at,
        actor=entry.actor,
        roles=list(entry.roles),
        unit=entry.unit,
        ip=entry.ip,
        request_id=entry.request_id,
        command_id=entry.command_id,
        command_type=entry.command_type,
        topic=entry.topic,
        incident_id=entry.incident_id,
        mode=entry.mode,
        exercise_id=entry.exercise_id,
        payload=entry.payload,
        outcome=entry.outcome,
        detail=entry.detail,
    )
    async with db.session() as session, session.begin():
        session.add(row)
        await session.flush()
        return row.id


async def entries(db: Database, flt: AuditFilter) -> Sequence[AuditRow]:
    """Entries matching the filter, oldest first (page on with `after` = the last id seen)."""
    query = select(AuditRow).order_by(AuditRow.id).limit(flt.limit)
    if flt.incident_id is not None:
        query = query.where(AuditRow.incident_id == flt.incident_id)
    if flt.actor is not None:
        query = query.where(AuditRow.actor == flt.actor)
    if flt.exercise_id is not None:
        query = query.where(AuditRow.exercise_id == flt.exercise_id)
    if flt.after is not None:
        query = query.where(AuditRow.id > flt.after)
    async with db.session() as session:
        return (await session.scalars(query)).all()
