"""The organisation and duty roster (read from the district files at start-up), and roster edits (commands)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from api.auth import READ_ROLES, requires
from api.commands.bodies import AssignShiftIn, UpdateContactsIn
from api.commands.service import CommandOutcome, SenderDep, Target
from api.deps import ServicesDep
from api.errors import AUTH, ApiError, NotFound, Responses
from api.routers.commands import COMMAND_RESPONSES
from infra.district import dump_organisation
from infra.notify.factory import outbound_policy
from infra.wire import CommandType
from playbooks.organisation import Organisation

router = APIRouter(tags=["organisation and roster"], responses=AUTH)

NO_DISTRICT: Responses = {503: {"description": "The API was started without district files"}}


class NoDistrict(ApiError):
    """503: the organisation could not be loaded at start-up."""

    code = 503


def _organisation(svc: ServicesDep) -> Organisation:
    if svc.organisation is None:
        raise NoDistrict(
            "the district's organisation is not loaded (see the API's start-up log); set "
            "TOCSIN_DISTRICT_DIR to a directory with units.yaml, people.yaml and roster.yaml"
        )
    return svc.organisation


@router.get("/organisation", **requires(*READ_ROLES), responses=NO_DISTRICT)
async def get_organisation(svc: ServicesDep) -> dict[str, Any]:
    """Units (leading group, member units, towns, villages) and people with their roles and contacts."""
    data = dump_organisation(_organisation(svc))
    return {"units": data["units"]["units"], "people": data["people"]["people"]}


@router.get("/roster", **requires(*READ_ROLES), responses=NO_DISTRICT)
async def get_roster(svc: ServicesDep) -> dict[str, Any]:
    """The duty roster: shift times, the weekly rotation and dated overrides (docs/adr/0009)."""
    roster: dict[str, Any] = dump_organisation(_organisation(svc))["roster"]
    return roster


@router.post(
    "/roster/shifts",
    status_code=202,
    response_model=CommandOutcome,
    responses={**COMMAND_RESPONSES, **NO_DISTRICT},
    **requires("duty_officer", "commander"),
)
async def assign_shift(body: AssignShiftIn, send: SenderDep) -> CommandOutcome:
    """Put people on duty for a unit's shift on a date (an override of the rotation)."""
    org = _organisation(send.svc)
    try:
        org.unit(body.unit)
    except (KeyError, ValueError) as exc:
        raise NotFound(f"no unit {body.unit!r}") from exc
    target = Target(send.svc.settings.topic("roster-commands"), body.unit, None)
    return await send.submit(CommandType.ASSIGN_SHIFT, target, body.model_dump(mode="json"))


PersonId = Annotated[str, Path(min_length=1, max_length=120)]


@router.post(
    "/people/{person_id}/contacts",
    status_code=202,
    response_model=CommandOutcome,
    responses={**COMMAND_RESPONSES, **NO_DISTRICT},
    **requires("duty_officer", "commander"),
)
async def update_contacts(person_id: PersonId, body: UpdateContactsIn, send: SenderDep) -> CommandOutcome:
    """Change a person's contact channels (null removes one)."""
    org = _organisation(send.svc)
    try:
        person = org.person(person_id)
    except (KeyError, ValueError) as exc:
        raise NotFound(f"no person {person_id!r}") from exc
    body.check_outbound(outbound_policy(send.svc.settings))
    target = Target(send.svc.settings.topic("roster-commands"), person.unit, None)
    payload = {"person_id": person_id, "contacts": body.contacts}
    return await send.submit(CommandType.UPDATE_CONTACTS, target, payload)
