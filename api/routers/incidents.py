"""Incident read endpoints."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, status

from api.deps import DbDep
from api.schemas import IncidentDetail, IncidentList, IncidentSummary, LevelChangeOut, Problem, TimelineEntry
from infra.db import queries

router = APIRouter(tags=["incidents"])

LevelParam = Literal["I", "II", "III", "IV", "non_graded"]
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": Problem, "description": "No incident has this id"}}


@router.get("/incidents", response_model=IncidentList)
async def list_incidents(
    db: DbDep,
    status_: Annotated[str | None, Query(alias="status", max_length=32)] = None,
    level: LevelParam | None = None,
    type_: Annotated[str | None, Query(alias="type", max_length=64)] = None,
    mode: Literal["actual", "exercise"] | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> IncidentList:
    """Incidents, newest first, filtered by status, level, type and mode."""
    rows = await queries.list_incidents(db, queries.IncidentFilter(
        status=status_, level=level, incident_type=type_, mode=mode, limit=limit,
    ))
    return IncidentList(items=[IncidentSummary.model_validate(r) for r in rows])


@router.get("/incidents/{incident_id}", response_model=IncidentDetail, responses=NOT_FOUND)
async def get_incident(incident_id: str, db: DbDep) -> IncidentDetail:
    """One incident with its level history (rule or reason of each change) and playbook version."""
    row = await queries.get_incident(db, incident_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no incident with id {incident_id!r}")
    history = [LevelChangeOut.model_validate(h) for h in await queries.level_history(db, incident_id)]
    summary = IncidentSummary.model_validate(row).model_dump()
    return IncidentDetail(
        **summary, playbook_id=row.playbook_id, playbook_version=row.playbook_version,
        first_report_at=row.first_report_at, level_history=history,
    )


@router.get("/incidents/{incident_id}/timeline", response_model=list[TimelineEntry], responses=NOT_FOUND)
async def get_timeline(incident_id: str, db: DbDep) -> list[TimelineEntry]:
    """Everything that happened to the incident, in order."""
    if await queries.get_incident(db, incident_id) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no incident with id {incident_id!r}")
    return [TimelineEntry.model_validate(r) for r in await queries.timeline(db, incident_id)]
