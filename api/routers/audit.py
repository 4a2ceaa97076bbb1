"""The audit trail, readable by commanders."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.auth import CurrentUser, requires
from api.deps import DbDep
from api.errors import AUTH
from api.schemas import AuditEntryOut, AuditPage
from infra.db import audit

router = APIRouter(tags=["audit"], responses=AUTH)


@router.get("/audit", response_model=AuditPage, **requires("commander"))
async def get_audit(
    db: DbDep,
    identity: CurrentUser,
    incident_id: Annotated[str | None, Query(max_length=64)] = None,
    actor: Annotated[str | None, Query(max_length=120)] = None,
    after: Annotated[int | None, Query(ge=0, le=2**62, description="next_after of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> AuditPage:
    """Every command the API took: who, when, what, from where and what became of it; oldest first.

    A commander scoped to an exercise reads only that exercise's entries.
    """
    rows = await audit.entries(
        db,
        audit.AuditFilter(
            incident_id=incident_id, actor=actor, after=after, limit=limit, exercise_id=identity.exercise_id
        ),
    )
    items = [AuditEntryOut.model_validate(r) for r in rows]
    return AuditPage(items=items, next_after=items[-1].id if len(items) == limit else None)
