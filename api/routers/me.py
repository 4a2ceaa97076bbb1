"""Who am I: the caller's name, roles and scope (the console's top bar shows them)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.auth import READ_ROLES, CurrentUser, requires
from api.deps import SettingsDep
from api.errors import AUTH

router = APIRouter(tags=["operations"], responses=AUTH)


class Me(BaseModel):
    """The caller behind the bearer token."""

    name: str = Field(examples=["operator"])
    roles: list[str] = Field(examples=[["duty_officer", "commander"]])
    unit: str | None = Field(None, description="the unit a unit responder is limited to")
    exercise_id: str | None = Field(None, description="the exercise a drill controller or player is limited to")
    time_zone: str = Field(
        "Asia/Shanghai", description="the district time zone (TOCSIN_DISTRICT_TIMEZONE) the console shows times in"
    )


@router.get("/whoami", response_model=Me, **requires(*READ_ROLES))
async def whoami(identity: CurrentUser, settings: SettingsDep) -> Me:
    """The caller's name, roles, unit and exercise (what their token allows), and the district's time zone."""
    return Me(
        name=identity.name,
        roles=list(identity.roles),
        unit=identity.unit,
        exercise_id=identity.exercise_id,
        time_zone=settings.district_timezone,
    )
