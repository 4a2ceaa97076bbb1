"""Published vocabularies of the report contract (DESIGN.md §3): the venue types, with labels and aliases."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.auth import READ_ROLES, requires
from api.errors import AUTH
from infra.wire.venue_types import venue_types

router = APIRouter(tags=["reports"], responses=AUTH)


@router.get("/vocabulary/venue-types", **requires(*READ_ROLES))
async def list_venue_types() -> dict[str, Any]:
    """Every accepted `venue_type`: its code (what playbooks compare), Chinese label, description and aliases.

    A report may give the code, the label or an alias; intake stores the code, and rejects anything else.
    """
    return {"venue_types": [venue.to_dict() for venue in venue_types().types]}
