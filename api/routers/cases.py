"""The case line list of an incident (病例一览表): personal data, so only roles that may see it read it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict

from api import exports
from api.access import incident_or_404
from api.auth import CurrentUser
from api.errors import AUTH, NOT_FOUND, Forbidden
from api.routers.incidents import IncidentId, ReadDb
from api.schemas import as_utc
from infra.db import queries
from infra.db.models import CaseRow
from infra.db.users import Identity

router = APIRouter(tags=["incidents"], responses={**AUTH, **NOT_FOUND})

PERSONAL_DATA_ROLES = ("duty_officer", "commander")
"""Roles that may see personal data (the case line list): not observers, not unit responders."""
CSV: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"application/json": {}, "text/csv": {"schema": {"type": "string"}}},
        "description": "the listed persons (JSON, or CSV with a header row when format=csv)",
    }
}


class CaseOut(BaseModel):
    """One listed person as their newest entry gives them."""

    model_config = ConfigDict(from_attributes=True)

    person_key: str
    onset: datetime
    town: str
    village: str
    county: str | None
    status: str
    age: int | None
    sex: str | None
    symptoms: list[str]
    source: str
    report_id: str
    reported_at: datetime


class CaseList(BaseModel):
    """An incident's case line list, and how its figures were derived."""

    incident_id: str
    count: int
    facts_basis: dict[str, str]
    cases: list[CaseOut]


async def personal_data_reader(identity: CurrentUser) -> Identity:
    """The caller, if a role of theirs may see personal data; 403 naming the rule otherwise."""
    if not identity.has(*PERSONAL_DATA_ROLES):
        raise Forbidden(
            "the case line list holds personal data, which only a duty_officer or a commander may see; "
            f"{identity.name} has {', '.join(identity.roles) or 'no role'}"
        )
    return identity


@router.get(
    "/incidents/{incident_id}/cases",
    response_model=None,
    responses=CSV,
    dependencies=[Depends(personal_data_reader)],
    openapi_extra={"x-required-roles": list(PERSONAL_DATA_ROLES)},
)
async def incident_cases(
    incident_id: IncidentId,
    db: ReadDb,
    identity: CurrentUser,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> Any:
    """The persons of the incident's case line list, by onset (duty officers and commanders only).

    Each person appears once, with the newest status any source gave; `facts_basis` says which of the
    incident's figures were counted from the list and which summed per source. `format=csv` exports it.
    """
    row = await incident_or_404(db, incident_id, identity)
    rows = await queries.cases(db, incident_id)
    if format == "csv":
        return Response(
            exports.cases_csv(rows),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{incident_id}-cases.csv"'},
        )
    return CaseList(
        incident_id=incident_id,
        count=len(rows),
        facts_basis=dict(row.facts_basis or {}),
        cases=[_out(r) for r in rows],
    ).model_dump(mode="json")


def _out(row: CaseRow) -> CaseOut:
    out = CaseOut.model_validate(row)
    return out.model_copy(update={"onset": as_utc(row.onset), "reported_at": as_utc(row.reported_at)})
