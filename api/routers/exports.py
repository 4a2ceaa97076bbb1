"""Exports of an incident's timeline: CSV, JSON, and an ICS-214-style activity log."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from api import exports
from api.access import incident_or_404
from api.auth import CurrentUser, requires
from api.deps import ClockDep, DbDep
from api.errors import AUTH, NOT_FOUND
from api.routers.incidents import IncidentId
from infra.db import queries

router = APIRouter(tags=["exports"], responses={**AUTH, **NOT_FOUND})

READERS = ("duty_officer", "commander", "drill_controller", "observer")
CSV: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "CSV with a header row"}
}


def _csv(text: str, filename: str) -> Response:
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get(
    "/incidents/{incident_id}/export/timeline.csv", response_class=Response, responses=CSV, **requires(*READERS)
)
async def timeline_csv(incident_id: IncidentId, db: DbDep, identity: CurrentUser) -> Response:
    """The timeline as CSV: seq, time, type, who, a readable summary, and the event data as JSON."""
    await incident_or_404(db, incident_id, identity)
    return _csv(exports.timeline_csv(await queries.timeline(db, incident_id)), f"{incident_id}-timeline.csv")


@router.get("/incidents/{incident_id}/export/timeline.json", **requires(*READERS))
async def timeline_json(incident_id: IncidentId, db: DbDep, identity: CurrentUser) -> dict[str, Any]:
    """The timeline as one JSON document."""
    row = await incident_or_404(db, incident_id, identity)
    return exports.timeline_json(row, await queries.timeline(db, incident_id))


@router.get("/incidents/{incident_id}/export/ics214", responses=CSV, **requires(*READERS))
async def ics214(
    incident_id: IncidentId,
    db: DbDep,
    identity: CurrentUser,
    clock: ClockDep,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> Any:
    """An ICS 214 Activity Log of the incident (JSON, or its activity lines as CSV)."""
    row = await incident_or_404(db, incident_id, identity)
    log = exports.activity_log(
        row, await queries.timeline(db, incident_id), prepared_by=identity.name, prepared_at=clock.now()
    )
    if format == "csv":
        return _csv(exports.activity_log_csv(log), f"{incident_id}-ics214.csv")
    return log
