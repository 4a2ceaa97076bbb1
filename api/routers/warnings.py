"""Warnings on their own (预警, e.g. from a sampling trend): issue, list, edit, approve, adjust, lift (ADR 0027).

A standalone warning is its own aggregate (`WRN-...`); its commands go to its writer on `incident-commands`
keyed by its id, like an incident's (202, `?wait=N`), and the writer re-checks the roles. Issuing and adjusting:
duty_officer, commander, publicity. Editing, approving, lifting, withdrawing: publicity, commander. Nothing here
publishes: the notifier does, once the writer has recorded the approval (DESIGN.md invariant 9).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from api.access import visibility
from api.auth import READ_ROLES, CurrentUser, requires
from api.commands.bodies import AdjustIn, ApproveIn, EditIn, WarningIn, WithdrawIn
from api.commands.service import CommandOutcome, CommandSender, SenderDep, Target
from api.deps import ServicesDep
from api.errors import AUTH, NOT_FOUND, ApiError, NotFound
from api.routers.public_info import APPROVERS, CAP_XML, COMMAND_RESPONSES, DRAFTERS, DraftId
from api.schemas import BulletinOut, DraftOutcome, WarningList, WarningOut, WarningOutcome
from infra.channels.cap import render_cap_alert
from infra.db import warnings as warning_reads
from infra.db.users import Identity
from infra.notify.public_info import bulletin_alert, cap_identifier
from infra.wire import CommandType
from playbooks.public_info import Bulletin
from playbooks.warnings import WARNING_PREFIX, WarningStatus, first_draft_id

router = APIRouter(tags=["warnings"], responses={**AUTH, **NOT_FOUND})

WarningId = Annotated[
    str, Path(min_length=5, max_length=64, pattern=r"^WRN-[A-Za-z0-9_.-]+$", description="the warning's id")
]


class NothingPublished(ApiError):
    """409: the warning has no publication to adjust or lift yet."""

    code = 409


def warning_out(view: warning_reads.WarningView) -> WarningOut:
    """The API's view of a standalone warning as the read model holds it."""
    data = view.summary()
    mode = data.get("mode") or "actual"
    bulletins = [
        BulletinOut.model_validate(
            {**b, "incident_id": view.id, "mode": mode, "cap_identifier": cap_identifier(view.id, b["id"])}
        )
        for b in data["bulletins"]
    ]
    return WarningOut.model_validate({**data, "mode": mode, "bulletins": bulletins})


async def _view(svc: ServicesDep, warning_id: str, identity: Identity) -> warning_reads.WarningView:
    found = await warning_reads.warning(svc.db, warning_id, visibility(identity))
    if found is None:
        raise NotFound(f"there is no warning {warning_id!r}")
    return found


async def _send(
    send: CommandSender, view: warning_reads.WarningView, type_: CommandType, payload: dict[str, Any]
) -> CommandOutcome:
    issued = view.issued
    mode = str(issued.get("mode") or "actual")
    target = Target(send.svc.settings.topic("incident-commands"), view.id, view.id, mode, issued.get("exercise_id"))
    return await send.submit(type_, target, payload)


async def _with_draft(send: CommandSender, warning_id: str, draft_id: str) -> warning_reads.WarningView:
    view = await _view(send.svc, warning_id, send.identity)
    if draft_id not in {b["id"] for b in view.bulletins}:
        raise NotFound(f"warning {warning_id!r} has no bulletin {draft_id!r}")
    return view


@router.get("/warnings", response_model=WarningList, **requires(*READ_ROLES))
async def list_warnings(
    svc: ServicesDep,
    identity: CurrentUser,
    status: Annotated[WarningStatus | None, Query(description="only warnings in this state")] = None,
) -> WarningList:
    """Standalone warnings, active and past, oldest first, each with its state, current level and bulletins."""
    views = await warning_reads.warnings(svc.db, visibility(identity))
    items = [warning_out(v) for v in views]
    return WarningList(items=[w for w in items if status is None or w.status == status.value])


@router.get("/warnings/{warning_id}", response_model=WarningOut, **requires(*READ_ROLES))
async def get_warning(warning_id: WarningId, svc: ServicesDep, identity: CurrentUser) -> WarningOut:
    """One standalone warning."""
    return warning_out(await _view(svc, warning_id, identity))


@router.get(
    "/warnings/{warning_id}/public-info/{draft_id}/cap",
    response_class=Response,
    responses=CAP_XML,
    **requires(*READ_ROLES),
)
async def preview_warning_cap(
    warning_id: WarningId, draft_id: DraftId, svc: ServicesDep, identity: CurrentUser
) -> Response:
    """The bulletin as the CAP 1.2 alert it is (or will be, with status Draft until approved)."""
    view = await _view(svc, warning_id, identity)
    held = {b["id"]: Bulletin.from_dict(b) for b in view.bulletins}
    bulletin = held.get(draft_id)
    if bulletin is None:
        raise NotFound(f"warning {warning_id!r} has no bulletin {draft_id!r}")
    alert = bulletin_alert(
        bulletin,
        incident_id=view.id,
        sender=svc.settings.cap_sender,
        mode="exercise" if view.issued.get("mode") == "exercise" else "actual",
        exercise_id=view.issued.get("exercise_id"),
        now=svc.clock.now(),
        referenced={ref: held[ref] for ref in bulletin.references if ref in held},
    )
    return Response(render_cap_alert(alert), media_type="application/cap+xml; charset=utf-8")


@router.post(
    "/warnings",
    status_code=202,
    response_model=WarningOutcome,
    responses=COMMAND_RESPONSES,
    summary="Issue a warning on its own (not from an incident)",
    **requires(*DRAFTERS),
)
async def issue_warning(body: WarningIn, send: SenderDep) -> WarningOutcome:
    """A new warning for an area and a hazard; its first draft (the CAP Alert) waits for approval."""
    if body.incident_type not in send.svc.playbooks.ids():
        raise NotFound(f"there is no playbook {body.incident_type!r} to write the warning with")
    warning_id = f"{WARNING_PREFIX}{uuid.uuid4().hex[:12]}"
    target = Target(send.svc.settings.topic("incident-commands"), warning_id, warning_id, body.mode, body.exercise_id)
    outcome = await send.submit(CommandType.ISSUE_WARNING, target, {"warning_id": warning_id, **body.fields()})
    return WarningOutcome(**outcome.model_dump(), warning_id=warning_id, draft_id=first_draft_id(warning_id))


@router.put(
    "/warnings/{warning_id}/public-info/{draft_id}",
    status_code=202,
    response_model=CommandOutcome,
    responses=COMMAND_RESPONSES,
    summary="Edit a warning's draft",
    **requires(*APPROVERS),
)
async def edit_warning(warning_id: WarningId, draft_id: DraftId, body: EditIn, send: SenderDep) -> CommandOutcome:
    """Change a draft's text, areas, colour or CAP fields (only a draft; its revision goes up)."""
    view = await _with_draft(send, warning_id, draft_id)
    return await _send(send, view, CommandType.EDIT_PUBLIC_INFO, {"draft_id": draft_id, **body.fields()})


@router.post(
    "/warnings/{warning_id}/public-info/{draft_id}/approve",
    status_code=202,
    response_model=CommandOutcome,
    responses=COMMAND_RESPONSES,
    summary="Approve a warning's draft for publication",
    **requires(*APPROVERS),
)
async def approve_warning(
    warning_id: WarningId, draft_id: DraftId, send: SenderDep, body: ApproveIn | None = None
) -> CommandOutcome:
    """Approve the draft (the Alert, an adjustment or the lifting): the notifier publishes it to the CAP feed."""
    view = await _with_draft(send, warning_id, draft_id)
    note = body.note if body else ""
    return await _send(send, view, CommandType.APPROVE_PUBLIC_INFO, {"draft_id": draft_id, "note": note})


@router.post(
    "/warnings/{warning_id}/public-info/{draft_id}/withdraw",
    status_code=202,
    response_model=CommandOutcome,
    responses=COMMAND_RESPONSES,
    summary="Withdraw a warning's draft (or draft the Cancel of a publication)",
    **requires(*APPROVERS),
)
async def withdraw_warning_draft(
    warning_id: WarningId, draft_id: DraftId, body: WithdrawIn, send: SenderDep
) -> CommandOutcome:
    """A draft is discarded; a publication gets its Cancel draft (`<id>-cancel`), published once approved."""
    view = await _with_draft(send, warning_id, draft_id)
    return await _send(send, view, CommandType.WITHDRAW_PUBLIC_INFO, {"draft_id": draft_id, "reason": body.reason})


def _current(view: warning_reads.WarningView, what: str) -> str:
    current = view.summary()["current"]
    if current is None:
        raise NothingPublished(f"warning {view.id} has nothing on the public feed to {what}; approve its draft first")
    return str(current)


@router.post(
    "/warnings/{warning_id}/adjust",
    status_code=202,
    response_model=DraftOutcome,
    responses={**COMMAND_RESPONSES, 409: {"description": "nothing published to adjust, or the writer refused"}},
    summary="Adjust a warning (draft its CAP Update)",
    **requires(*DRAFTERS),
)
async def adjust_warning(warning_id: WarningId, body: AdjustIn, send: SenderDep) -> DraftOutcome:
    """Draft the Update of the warning's current publication (a new colour, text or area), `draft_id` in the
    answer; approved like any draft, it then replaces the current publication on the feed."""
    view = await _view(send.svc, warning_id, send.identity)
    current = _current(view, "adjust")
    draft_id = f"upd-{uuid.uuid4().hex[:12]}"
    payload = {"draft_id": draft_id, "kind": "warning", "updates": current, **body.fields()}
    outcome = await _send(send, view, CommandType.DRAFT_PUBLIC_INFO, payload)
    return DraftOutcome(**outcome.model_dump(), draft_id=draft_id)


@router.post(
    "/warnings/{warning_id}/lift",
    status_code=202,
    response_model=DraftOutcome,
    responses={**COMMAND_RESPONSES, 409: {"description": "nothing published to lift, or the writer refused"}},
    summary="Lift a warning (draft its CAP Cancel, 解除预警)",
    **requires(*APPROVERS),
)
async def lift_warning(warning_id: WarningId, body: WithdrawIn, send: SenderDep) -> DraftOutcome:
    """Draft the lifting (解除预警) of the current publication, `draft_id` in the answer; once approved and
    published, the warning is lifted."""
    view = await _view(send.svc, warning_id, send.identity)
    current = _current(view, "lift")
    earlier = sum(1 for b in view.bulletins if str(b["id"]).startswith(f"{current}-cancel"))
    draft_id = f"{current}-cancel" if earlier == 0 else f"{current}-cancel-{earlier + 1}"
    payload = {"draft_id": current, "reason": body.reason}
    outcome = await _send(send, view, CommandType.WITHDRAW_PUBLIC_INFO, payload)
    return DraftOutcome(**outcome.model_dump(), draft_id=draft_id)
