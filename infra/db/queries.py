"""Read-side queries of the read model, used by the API."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select

from infra.db.engine import Database
from infra.db.models import IncidentRow, LevelHistoryRow, TimelineRow


@dataclass(frozen=True)
class IncidentFilter:
    """Filters of the incident list; None means any."""

    status: str | None = None
    level: str | None = None
    incident_type: str | None = None
    mode: str | None = None
    limit: int = 100


async def list_incidents(db: Database, flt: IncidentFilter) -> Sequence[IncidentRow]:
    """Incidents matching the filter, newest first."""
    query = select(IncidentRow).order_by(IncidentRow.opened_at.desc(), IncidentRow.id).limit(flt.limit)
    for column, value in (
        (IncidentRow.status, flt.status), (IncidentRow.level, flt.level),
        (IncidentRow.incident_type, flt.incident_type), (IncidentRow.mode, flt.mode),
    ):
        if value is not None:
            query = query.where(column == value)
    async with db.session() as session:
        return (await session.scalars(query)).all()


async def get_incident(db: Database, incident_id: str) -> IncidentRow | None:
    """One incident, or None."""
    async with db.session() as session:
        return await session.get(IncidentRow, incident_id)


async def level_history(db: Database, incident_id: str) -> Sequence[LevelHistoryRow]:
    """An incident's level changes, oldest first."""
    query = select(LevelHistoryRow).where(LevelHistoryRow.incident_id == incident_id).order_by(LevelHistoryRow.seq)
    async with db.session() as session:
        return (await session.scalars(query)).all()


async def timeline(db: Database, incident_id: str) -> Sequence[TimelineRow]:
    """An incident's events, oldest first."""
    query = select(TimelineRow).where(TimelineRow.incident_id == incident_id).order_by(TimelineRow.seq)
    async with db.session() as session:
        return (await session.scalars(query)).all()
