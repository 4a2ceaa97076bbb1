"""Public information, warnings and expert assessments of an incident: reads, the CAP preview, and commands.

Commands go to the incident's writer like every other (202, `?wait=N`); the writer re-checks the roles.
Drafting: duty_officer, commander, publicity. Editing, approving, withdrawing: publicity, commander.
Recording an expert assessment: duty_officer, commander. Nothing here publishes: the notifier does, once the
writer has recorded the approval (DESIGN.md invariant 9).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from api.access import incident_or_404, visibility
from api.auth import READ_ROLES, CurrentUser, requires
from api.commands.bodies import ApproveIn, AssessmentIn, DraftIn, EditIn, WithdrawIn
from api.commands.service import CommandOutcome, CommandSender, SenderDep, Target
from api.deps import ServicesDep
from api.errors import AUTH, BODY, KAFKA_DOWN, NOT_FOUND, NotFound, Responses
from api.routers.decisions import playbook_of
from api.routers.incidents import IncidentId
from api.schemas import AssessmentList, AssessmentOut, BulletinList, BulletinOut, DraftOutcome
from infra.channels.cap import render_cap_alert
from infra.db import public_info
from infra.db.models import IncidentRow
from infra.notify.public_info import bulletin_alert, cap_identifier
from infra.wire import CommandType
from playbooks.public_info import Bulletin

router = APIRouter(tags=["public information"], responses={**AUTH, **NOT_FOUND})

DRAFTERS = ("duty_officer", "commander", "publicity")
APPROVERS = ("publicity", "commander")
ASSESSORS = ("duty_officer", "commander")
COMMAND_RESPONSES: Responses = {
    **BODY,
    **NOT_FOUND,
    **KAFKA_DOWN,
    200: {"model": CommandOutcome, "description": "Applied (only with ?wait)"},
    409: {"model": CommandOutcome, "description": "Rejected by the incident's writer; `detail` says why (with ?wait)"},
}
DraftId = Annotated[
    str,
    Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$", description="the draft's id"),
]
CAP_XML: Responses = {
    200: {
        "content": {"application/cap+xml": {"schema": {"type": "string"}}},
        "description": "The bulletin as a CAP 1.2 alert (status Draft until it is approved)",
    }
}


def bulletin_out(found: public_info.IncidentBulletin) -> BulletinOut:
    """The API's view of a bulletin as the read model holds it."""
    data = found.bulletin
    return BulletinOut.model_validate(
        {
            **data,
            "incident_id": found.incident_id,
            "mode": found.mode,
            "cap_identifier": cap_identifier(found.incident_id, data["id"]),
        }
    )


async def _bulletins(svc: ServicesDep, row: IncidentRow) -> dict[str, public_info.IncidentBulletin]:
    return {b.bulletin["id"]: b for b in await public_info.bulletins(svc.db, row.id)}


async def _send(send: CommandSender, row: IncidentRow, type_: CommandType, payload: dict[str, Any]) -> CommandOutcome:
    target = Target(send.svc.settings.topic("incident-commands"), row.id, row.id, row.mode, row.exercise_id)
    return await send.submit(type_, target, payload)


async def _draft_row(send: CommandSender, incident_id: str, draft_id: str) -> IncidentRow:
    """The incident, after checking it has the draft (404 otherwise)."""
    row = await incident_or_404(send.svc.db, incident_id, send.identity)
    if draft_id not in await _bulletins(send.svc, row):
        raise NotFound(f"incident {incident_id!r} has no public information {draft_id!r}")
    return row


@router.get("/incidents/{incident_id}/public-info", response_model=BulletinList, **requires(*READ_ROLES))
async def list_public_info(incident_id: IncidentId, svc: ServicesDep, identity: CurrentUser) -> BulletinList:
    """The incident's drafts and publications (state draft, approved, published or withdrawn), who and when."""
    row = await incident_or_404(svc.db, incident_id, identity)
    return BulletinList(items=[bulletin_out(b) for b in (await _bulletins(svc, row)).values()])


@router.get("/public-info", response_model=BulletinList, **requires(*READ_ROLES))
async def list_drafts(
    svc: ServicesDep,
    identity: CurrentUser,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> BulletinList:
    """Drafts waiting for approval across every incident the caller may see, oldest first (the approval queue)."""
    drafts = await public_info.open_drafts(svc.db, visibility(identity), limit=limit)
    return BulletinList(items=[bulletin_out(b) for b in drafts])


@router.get("/incidents/{incident_id}/public-info/{draft_id}", response_model=BulletinOut, **requires(*READ_ROLES))
async def get_public_info(
    incident_id: IncidentId, draft_id: DraftId, svc: ServicesDep, identity: CurrentUser
) -> BulletinOut:
    """One draft or publication."""
    row = await incident_or_404(svc.db, incident_id, identity)
    found = (await _bulletins(svc, row)).get(draft_id)
    if found is None:
        raise NotFound(f"incident {incident_id!r} has no public information {draft_id!r}")
    return bulletin_out(found)


@router.get(
    "/incidents/{incident_id}/public-info/{draft_id}/cap",
    response_class=Response,
    responses=CAP_XML,
    **requires(*READ_ROLES),
)
async def preview_cap(incident_id: IncidentId, draft_id: DraftId, svc: ServicesDep, identity: CurrentUser) -> Response:
    """The bulletin as the CAP 1.2 alert it is (or will be, with status Draft until approved): the editor's preview."""
    row = await incident_or_404(svc.db, incident_id, identity)
    held = await _bulletins(svc, row)
    found = held.get(draft_id)
    if found is None:
        raise NotFound(f"incident {incident_id!r} has no public information {draft_id!r}")
    bulletin = Bulletin.from_dict(found.bulletin)
    referenced = {ref: Bulletin.from_dict(held[ref].bulletin) for ref in bulletin.references if ref in held}
    alert = bulletin_alert(
        bulletin,
        incident_id=row.id,
        sender=svc.settings.cap_sender,
        mode="exercise" if row.mode == "exercise" else "actual",
        exercise_id=row.exercise_id,
        now=svc.clock.now(),
        referenced=referenced,
    )
    return Response(render_cap_alert(alert), media_type="application/cap+xml; charset=utf-8")


@router.post(
    "/incidents/{incident_id}/public-info",
    status_code=202,
    response_model=DraftOutcome,
    responses=COMMAND_RESPONSES,
    summary="Draft public information, a rumour refutation or a warning",
    **requires(*DRAFTERS),
)
async def draft_public_info(incident_id: IncidentId, body: DraftIn, send: SenderDep) -> DraftOutcome:
    """A new draft, written from the playbook's template where fields are left out; `draft_id` names it."""
    row = await incident_or_404(send.svc.db, incident_id, send.identity)
    if body.updates is not None and body.updates not in await _bulletins(send.svc, row):
        raise NotFound(f"incident {incident_id!r} has no public information {body.updates!r} to update")
    draft_id = f"pi-{uuid.uuid4().hex[:12]}"
    payload: dict[str, Any] = {"draft_id": draft_id, "kind": body.kind, **body.fields()}
    if body.updates is not None:
        payload["updates"] = body.updates
    if body.rumour is not None:
        payload["rumour"] = body.rumour
    outcome = await _send(send, row, CommandType.DRAFT_PUBLIC_INFO, payload)
    return DraftOutcome(**outcome.model_dump(), draft_id=draft_id)


@router.put(
    "/incidents/{incident_id}/public-info/{draft_id}",
    status_code=202,
    response_model=CommandOutcome,
    responses=COMMAND_RESPONSES,
    summary="Edit a draft",
    **requires(*APPROVERS),
)
async def edit_public_info(incident_id: IncidentId, draft_id: DraftId, body: EditIn, send: SenderDep) -> CommandOutcome:
    """Change a draft's text, areas or CAP fields (only a draft; its revision goes up)."""
    row = await _draft_row(send, incident_id, draft_id)
    return await _send(send, row, CommandType.EDIT_PUBLIC_INFO, {"draft_id": draft_id, **body.fields()})


@router.post(
    "/incidents/{incident_id}/public-info/{draft_id}/approve",
    status_code=202,
    response_model=CommandOutcome,
    responses=COMMAND_RESPONSES,
    summary="Approve a draft for publication",
    **requires(*APPROVERS),
)
async def approve_public_info(
    incident_id: IncidentId, draft_id: DraftId, send: SenderDep, body: ApproveIn | None = None
) -> CommandOutcome:
    """Approve the draft: the notifier publishes it to the CAP feed, and it becomes `published`."""
    row = await _draft_row(send, incident_id, draft_id)
    note = body.note if body else ""
    return await _send(send, row, CommandType.APPROVE_PUBLIC_INFO, {"draft_id": draft_id, "note": note})


@router.post(
    "/incidents/{incident_id}/public-info/{draft_id}/withdraw",
    status_code=202,
    response_model=CommandOutcome,
    responses=COMMAND_RESPONSES,
    summary="Withdraw a draft (or draft the Cancel of a publication)",
    **requires(*APPROVERS),
)
async def withdraw_public_info(
    incident_id: IncidentId, draft_id: DraftId, body: WithdrawIn, send: SenderDep
) -> CommandOutcome:
    """A draft is discarded; a publication gets a Cancel draft (`<id>-cancel`), published once approved."""
    row = await _draft_row(send, incident_id, draft_id)
    return await _send(send, row, CommandType.WITHDRAW_PUBLIC_INFO, {"draft_id": draft_id, "reason": body.reason})


@router.get("/incidents/{incident_id}/assessments", response_model=AssessmentList, **requires(*READ_ROLES))
async def list_assessments(incident_id: IncidentId, svc: ServicesDep, identity: CurrentUser) -> AssessmentList:
    """The expert group's recorded assessments, and which decisions the playbook makes wait for one."""
    row = await incident_or_404(svc.db, incident_id, identity)
    items = [AssessmentOut.model_validate(a) for a in await public_info.assessments(svc.db, row.id)]
    required = sorted(d.value for d in playbook_of(svc.playbooks, row).assessment_required)
    return AssessmentList.model_validate({"items": items, "required_for": required})


@router.post(
    "/incidents/{incident_id}/assessments",
    status_code=202,
    response_model=CommandOutcome,
    responses=COMMAND_RESPONSES,
    summary="Record the expert group's assessment",
    **requires(*ASSESSORS),
)
async def record_assessment(incident_id: IncidentId, body: AssessmentIn, send: SenderDep) -> CommandOutcome:
    """Record who assessed, their conclusion and recommendation, and when (needed before lowering or ending)."""
    row = await incident_or_404(send.svc.db, incident_id, send.identity)
    payload = body.model_dump(mode="json")
    return await _send(send, row, CommandType.RECORD_ASSESSMENT, payload)
