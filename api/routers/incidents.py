"""Incident read endpoints: list (filters, cursor pages), one incident, timeline, tasks, notifications."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request

from api.access import incident_or_404, unit_scoped, visibility
from api.auth import READ_ROLES, CurrentUser, requires
from api.deps import ClockDep, services
from api.errors import AUTH, NOT_FOUND, ApiError, NotFound
from api.schemas import (
    IncidentDetail,
    IncidentList,
    IncidentSummary,
    LevelChangeOut,
    NotificationOut,
    TaskOut,
    TimelineEntry,
)
from infra.db import queries
from infra.db.engine import Database

router = APIRouter(tags=["incidents"], responses=AUTH)

LevelParam = Literal["I", "II", "III", "IV", "non_graded"]


async def read_db(request: Request) -> Database:
    """The app's database handle, as an async dependency (FastAPI runs a sync one in its thread pool: about 0.3 ms
    of a read's 2 ms of CPU here)."""
    return services(request).db


ReadDb = Annotated[Database, Depends(read_db)]
IncidentId = Annotated[str, Path(min_length=1, max_length=64, description="incident id", examples=["inc-2f3a9c"])]


def encode_cursor(at: datetime, incident_id: str) -> str:
    """An opaque page cursor for the row (opened_at, id)."""
    return base64.urlsafe_b64encode(json.dumps([at.isoformat(), incident_id]).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """The (opened_at, id) a cursor stands for; 400 when it is not one of ours."""
    try:
        at, incident_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return datetime.fromisoformat(at), str(incident_id)
    except (ValueError, TypeError, binascii.Error) as exc:
        raise ApiError(f"cursor {cursor[:40]!r} is not a cursor this API issued; use next_cursor as given") from exc


@router.get("/incidents", response_model=IncidentList, **requires(*READ_ROLES))
async def list_incidents(  # noqa: PLR0913 - one parameter per query filter of the endpoint
    db: ReadDb,
    identity: CurrentUser,
    status_: Annotated[str | None, Query(alias="status", max_length=32, examples=["active"])] = None,
    level: LevelParam | None = None,
    type_: Annotated[str | None, Query(alias="type", max_length=64, examples=["food_safety"])] = None,
    mode: Literal["actual", "exercise"] | None = None,
    town: Annotated[str | None, Query(max_length=200)] = None,
    opened_from: Annotated[datetime | None, Query(description="opened at or after (ISO-8601)")] = None,
    opened_to: Annotated[datetime | None, Query(description="opened before (ISO-8601)")] = None,
    cursor: Annotated[str | None, Query(max_length=400, description="next_cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> IncidentList:
    """Incidents the caller may see, newest first, filtered by status, level, type, mode, town and opening time."""
    rows = await queries.list_incidents(
        db,
        queries.IncidentFilter(
            status=status_,
            level=level,
            incident_type=type_,
            mode=mode,
            town=town,
            opened_from=opened_from,
            opened_to=opened_to,
            after=decode_cursor(cursor) if cursor else None,
            limit=limit,
        ),
        visibility(identity),
    )
    last = rows[-1] if len(rows) == limit else None
    return IncidentList(
        items=[IncidentSummary.model_validate(r) for r in rows],
        next_cursor=encode_cursor(last.opened_at, last.id) if last else None,
    )


@router.get("/incidents/{incident_id}", response_model=IncidentDetail, responses=NOT_FOUND, **requires(*READ_ROLES))
async def get_incident(incident_id: IncidentId, db: ReadDb, identity: CurrentUser) -> IncidentDetail:
    """One incident: level history (who, when, rule or reason), aggregated and verified facts, playbook version."""
    found = await queries.incident_detail(db, incident_id, visibility(identity))
    if found is None:
        raise NotFound(f"no incident with id {incident_id!r}")
    row, verified = found.incident, found.verified
    aggregated = getattr(row, "aggregated_facts", None) or (row.facts if verified is None else None)
    summary = IncidentSummary.model_validate(row).model_dump()
    return IncidentDetail(
        **summary,
        playbook_id=row.playbook_id,
        playbook_version=row.playbook_version,
        first_report_at=row.first_report_at,
        level_history=[LevelChangeOut.model_validate(h) for h in found.level_history],
        aggregated_facts=aggregated,
        verified=verified,
        warnings=list(row.warnings or []),
        routing_warnings=list(row.routing_warnings or []),
    )


@router.get(
    "/incidents/{incident_id}/timeline",
    response_model=list[TimelineEntry],
    responses=NOT_FOUND,
    **requires("duty_officer", "commander", "drill_controller", "observer"),
)
async def get_timeline(
    incident_id: IncidentId,
    db: ReadDb,
    identity: CurrentUser,
    after_seq: Annotated[int | None, Query(ge=0, le=2**31, description="only events after this seq")] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
) -> list[TimelineEntry]:
    """Everything that happened to the incident, in order (page on with `after_seq`)."""
    await incident_or_404(db, incident_id, identity)
    rows = await queries.timeline(db, incident_id, after_seq=after_seq, limit=limit)
    return [TimelineEntry.model_validate(r) for r in rows]


@router.get(
    "/incidents/{incident_id}/tasks", response_model=list[TaskOut], responses=NOT_FOUND, **requires(*READ_ROLES)
)
async def get_tasks(
    incident_id: IncidentId,
    db: ReadDb,
    identity: CurrentUser,
    clock: ClockDep,
    kind: Annotated[str | None, Query(max_length=32, examples=["task"])] = None,
) -> list[TaskOut]:
    """The incident's planned steps by due time; a unit responder sees only its unit's."""
    await incident_or_404(db, incident_id, identity)
    owner = identity.unit if unit_scoped(identity) else None
    now = clock.now()
    tasks = []
    for row in await queries.actions(db, incident_id, owner=owner, kind=kind):
        task = TaskOut.model_validate(row)
        done = row.status in ("completed", "superseded") or (row.kind == "notify" and row.status == "acknowledged")
        due = row.due_at if row.due_at.tzinfo else row.due_at.replace(tzinfo=now.tzinfo)
        tasks.append(task.model_copy(update={"overdue": not done and due < now}))
    return tasks


@router.get(
    "/incidents/{incident_id}/notifications",
    response_model=list[NotificationOut],
    responses=NOT_FOUND,
    **requires("duty_officer", "commander", "drill_controller", "observer"),
)
async def get_notifications(incident_id: IncidentId, db: ReadDb, identity: CurrentUser) -> list[NotificationOut]:
    """Every message sent for the incident, per recipient and channel, with its delivery attempts."""
    await incident_or_404(db, incident_id, identity)
    return [NotificationOut.model_validate(r) for r in await queries.notifications(db, incident_id)]
