"""Read-side repositories of the read model, used by the API. Routers never build queries themselves."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy import and_, bindparam, func, or_, select
from sqlalchemy.sql import Select

from infra.db.engine import Database
from infra.db.models import (
    ActionRow,
    CaseRow,
    CommandResultRow,
    IncidentRow,
    LevelHistoryRow,
    NotificationRow,
    TimelineRow,
)
from infra.wire import EventType

__all__ = [
    "ACTUAL",
    "IncidentDetail",
    "IncidentFilter",
    "Visibility",
    "actions",
    "command_result",
    "get_action",
    "get_incident",
    "incident_detail",
    "incidents_by_level",
    "last_event",
    "level_history",
    "list_incidents",
    "notification_counts",
    "notifications",
    "overdue_count",
    "timeline",
]


SelectT = TypeVar("SelectT", bound=Select[Any])


@dataclass(frozen=True)
class Visibility:
    """Which incidents a caller may see.

    `exercise_id=None` means actual incidents only (every incident with `all_modes`); otherwise only that
    exercise's incidents. With `unit`, only incidents in which that unit owns a step (a unit responder's view).
    """

    exercise_id: str | None = None
    unit: str | None = None
    all_modes: bool = False

    def apply(self, query: SelectT) -> SelectT:
        """Restrict a query of incidents (one selecting from `incidents`) to what this caller may see."""
        if self.all_modes and self.exercise_id is None:
            pass
        elif self.exercise_id is None:
            query = query.where(IncidentRow.mode == "actual")
        else:
            query = query.where(IncidentRow.mode == "exercise", IncidentRow.exercise_id == self.exercise_id)
        if self.unit is not None:
            query = query.where(IncidentRow.id.in_(select(ActionRow.incident_id).where(ActionRow.owner == self.unit)))
        return query


ACTUAL = Visibility()
"""Actual incidents, all units: the view of the district's duty office."""


@dataclass(frozen=True)
class IncidentFilter:
    """Filters of the incident list; None means any. `after` is the (opened_at, id) of the last row seen."""

    status: str | None = None
    level: str | None = None
    incident_type: str | None = None
    mode: str | None = None
    town: str | None = None
    opened_from: datetime | None = None
    opened_to: datetime | None = None
    after: tuple[datetime, str] | None = None
    limit: int = 100


async def list_incidents(db: Database, flt: IncidentFilter, visibility: Visibility = ACTUAL) -> Sequence[IncidentRow]:
    """Incidents matching the filter that the caller may see, newest first (ties by id, descending)."""
    query = visibility.apply(select(IncidentRow))
    for column, value in (
        (IncidentRow.status, flt.status),
        (IncidentRow.level, flt.level),
        (IncidentRow.incident_type, flt.incident_type),
        (IncidentRow.mode, flt.mode),
        (IncidentRow.town, flt.town),
    ):
        if value is not None:
            query = query.where(column == value)
    if flt.opened_from is not None:
        query = query.where(IncidentRow.opened_at >= flt.opened_from)
    if flt.opened_to is not None:
        query = query.where(IncidentRow.opened_at < flt.opened_to)
    if flt.after is not None:
        at, last_id = flt.after
        earlier = or_(IncidentRow.opened_at < at, and_(IncidentRow.opened_at == at, IncidentRow.id < last_id))
        query = query.where(earlier)
    query = query.order_by(IncidentRow.opened_at.desc(), IncidentRow.id.desc()).limit(flt.limit)
    async with db.session() as session:
        return (await session.scalars(query)).all()


async def get_incident(db: Database, incident_id: str, visibility: Visibility | None = ACTUAL) -> IncidentRow | None:
    """One incident the caller may see (any incident when `visibility` is None), or None."""
    query = select(IncidentRow).where(IncidentRow.id == incident_id)
    if visibility is not None:
        query = visibility.apply(query)
    async with db.session() as session:
        return (await session.scalars(query)).first()


@dataclass(frozen=True)
class IncidentDetail:
    """One incident with its level changes (oldest first) and the facts of its newest FactsVerified event."""

    incident: IncidentRow
    level_history: Sequence[LevelHistoryRow]
    verified: dict[str, Any] | None


async def incident_detail(db: Database, incident_id: str, visibility: Visibility = ACTUAL) -> IncidentDetail | None:
    """One incident the caller may see, with its level history and verified facts, in one statement; or None."""
    async with db.session() as session:
        rows = (await session.execute(_detail_query(visibility), {"incident_id": incident_id})).all()
    if not rows:
        return None
    history = [change for _, change, _ in rows if change is not None]
    return IncidentDetail(rows[0][0], history, rows[0][2])


@lru_cache(maxsize=256)
def _detail_query(visibility: Visibility) -> Select[Any]:
    """The statement of `incident_detail` for one visibility, built once (building it costs more than running it)."""
    verified = (
        select(TimelineRow.data)
        .where(TimelineRow.incident_id == IncidentRow.id, TimelineRow.type == EventType.FACTS_VERIFIED)
        .order_by(TimelineRow.seq.desc())
        .limit(1)
        .scalar_subquery()
    )
    return visibility.apply(
        select(IncidentRow, LevelHistoryRow, verified)
        .outerjoin(LevelHistoryRow, LevelHistoryRow.incident_id == IncidentRow.id)
        .where(IncidentRow.id == bindparam("incident_id"))
        .order_by(LevelHistoryRow.seq)
    )


async def level_history(db: Database, incident_id: str) -> Sequence[LevelHistoryRow]:
    """An incident's level changes, oldest first."""
    query = select(LevelHistoryRow).where(LevelHistoryRow.incident_id == incident_id).order_by(LevelHistoryRow.seq)
    async with db.session() as session:
        return (await session.scalars(query)).all()


async def timeline(
    db: Database, incident_id: str, *, after_seq: int | None = None, limit: int | None = None
) -> Sequence[TimelineRow]:
    """An incident's events, oldest first; after `after_seq` when given."""
    query = select(TimelineRow).where(TimelineRow.incident_id == incident_id).order_by(TimelineRow.seq)
    if after_seq is not None:
        query = query.where(TimelineRow.seq > after_seq)
    if limit is not None:
        query = query.limit(limit)
    async with db.session() as session:
        return (await session.scalars(query)).all()


async def last_event(db: Database, incident_id: str, event_type: str) -> TimelineRow | None:
    """The newest event of `event_type` on an incident's timeline, or None."""
    query = (
        select(TimelineRow)
        .where(TimelineRow.incident_id == incident_id, TimelineRow.type == event_type)
        .order_by(TimelineRow.seq.desc())
        .limit(1)
    )
    async with db.session() as session:
        return (await session.scalars(query)).first()


async def actions(
    db: Database, incident_id: str, *, owner: str | None = None, kind: str | None = None
) -> Sequence[ActionRow]:
    """An incident's planned steps by due time; only `owner`'s or one `kind` when given."""
    query = select(ActionRow).where(ActionRow.incident_id == incident_id).order_by(ActionRow.due_at, ActionRow.key)
    if owner is not None:
        query = query.where(ActionRow.owner == owner)
    if kind is not None:
        query = query.where(ActionRow.kind == kind)
    async with db.session() as session:
        return (await session.scalars(query)).all()


async def get_action(db: Database, incident_id: str, key: str) -> ActionRow | None:
    """One step of an incident, or None."""
    async with db.session() as session:
        return await session.get(ActionRow, (incident_id, key))


async def cases(db: Database, incident_id: str) -> Sequence[CaseRow]:
    """An incident's case line list: one row per person, by onset."""
    query = select(CaseRow).where(CaseRow.incident_id == incident_id).order_by(CaseRow.onset, CaseRow.person_key)
    async with db.session() as session:
        return (await session.scalars(query)).all()


async def notifications(db: Database, incident_id: str) -> Sequence[NotificationRow]:
    """Deliveries of an incident's messages, oldest first."""
    query = (
        select(NotificationRow)
        .where(NotificationRow.incident_id == incident_id)
        .order_by(NotificationRow.at, NotificationRow.idempotency_key)
    )
    async with db.session() as session:
        return (await session.scalars(query)).all()


async def command_result(db: Database, command_id: str) -> CommandResultRow | None:
    """What became of a command (applied or rejected), or None while the worker has not got to it."""
    async with db.session() as session:
        return await session.get(CommandResultRow, command_id)


async def incidents_by_level(db: Database) -> dict[tuple[str, str], int]:
    """Open actual incidents counted by (level, status); exercises are left out of statistics."""
    query = (
        select(IncidentRow.level, IncidentRow.status, func.count())
        .where(IncidentRow.mode == "actual", IncidentRow.status != "closed")
        .group_by(IncidentRow.level, IncidentRow.status)
    )
    async with db.session() as session:
        return {(level, status): count for level, status, count in (await session.execute(query)).all()}


async def notification_counts(db: Database) -> dict[tuple[str, str], int]:
    """Actual notifications counted by (channel, status), e.g. delivered or failed."""
    query = (
        select(NotificationRow.channel, NotificationRow.status, func.count())
        .where(NotificationRow.mode == "actual")
        .group_by(NotificationRow.channel, NotificationRow.status)
    )
    async with db.session() as session:
        return {(channel, status): count for channel, status, count in (await session.execute(query)).all()}


async def overdue_count(db: Database, now: datetime) -> dict[str, int]:
    """Actual steps past their deadline and not done, by kind (an alert is done once acknowledged)."""
    not_done = or_(ActionRow.status == "pending", and_(ActionRow.status == "acknowledged", ActionRow.kind != "notify"))
    query = (
        select(ActionRow.kind, func.count())
        .where(ActionRow.mode == "actual", ActionRow.due_at < now, not_done)
        .group_by(ActionRow.kind)
    )
    async with db.session() as session:
        return {kind: count for kind, count in (await session.execute(query)).all()}
