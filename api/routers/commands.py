"""Command endpoints of an incident. They publish commands to Kafka; they never write the read model.

Each returns 202 with a command id. With `?wait=N` (seconds, up to 30) the call waits until the read model
shows the command's outcome: 200 applied, 409 rejected (with the reason), or still 202 with status "pending".
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Path

from api.access import incident_or_404, unit_scoped
from api.auth import requires
from api.commands.bodies import (
    CompleteTaskIn,
    DecideLevelIn,
    NoteIn,
    SignalsIn,
    TaskIn,
    TerminationIn,
    VerifiedFactsIn,
)
from api.commands.service import CommandOutcome, CommandSender, SenderDep, Target
from api.errors import AUTH, BODY, KAFKA_DOWN, NOT_FOUND, Forbidden, NotFound, Responses
from api.routers.incidents import IncidentId
from infra.db import queries
from infra.db.models import IncidentRow
from infra.wire import CommandType
from playbooks.levels import Level

router = APIRouter(tags=["incident commands"])

COMMAND_RESPONSES: Responses = {
    **AUTH,
    **BODY,
    **NOT_FOUND,
    **KAFKA_DOWN,
    200: {"model": CommandOutcome, "description": "Applied (only with ?wait)"},
    409: {"model": CommandOutcome, "description": "Rejected by the incident's writer; `detail` says why (with ?wait)"},
}
Handler = Callable[..., Awaitable[CommandOutcome]]
ActionKey = Annotated[str, Path(min_length=1, max_length=120, description="the step's key", examples=["sampling"])]


def _command_route(path: str, summary: str, *roles: str) -> Callable[[Handler], Handler]:
    decorate: Callable[[Handler], Handler] = router.post(
        path,
        status_code=202,
        response_model=CommandOutcome,
        responses=COMMAND_RESPONSES,
        summary=summary,
        **requires(*roles),
    )
    return decorate


async def _send(send: CommandSender, row: IncidentRow, type_: CommandType, payload: dict[str, Any]) -> CommandOutcome:
    """Send a command to the incident's writer, in the incident's mode and exercise."""
    target = Target(send.svc.settings.topic("incident-commands"), row.id, row.id, row.mode, row.exercise_id)
    return await send.submit(type_, target, payload)


async def _task(send: CommandSender, incident_id: str, key: str, *, alert: bool) -> IncidentRow:
    """The incident, after checking the step exists, is of the right kind, and is the caller's unit's."""
    svc, identity = send.svc, send.identity
    row = await incident_or_404(svc.db, incident_id, identity)
    action = await queries.get_action(svc.db, incident_id, key)
    if action is None or (alert and action.kind != "notify"):
        what = "alert" if alert else "step"
        raise NotFound(f"incident {incident_id!r} has no {what} {key!r}")
    if unit_scoped(identity) and action.owner != identity.unit:
        raise Forbidden(f"step {key!r} belongs to {action.owner!r}; {identity.name} acts for {identity.unit!r}")
    return row


@_command_route("/incidents/{incident_id}/alerts/{action_key}/ack", "Acknowledge an alert", "duty_officer", "commander")
async def acknowledge_alert(incident_id: IncidentId, action_key: ActionKey, send: SenderDep) -> CommandOutcome:
    """The alert (a `notify` step) is acknowledged; its escalation stops."""
    row = await _task(send, incident_id, action_key, alert=True)
    return await _send(send, row, CommandType.ACKNOWLEDGE_ALERT, {"action_key": action_key})


@_command_route(
    "/incidents/{incident_id}/tasks/{action_key}/ack",
    "Acknowledge a task order",
    "duty_officer",
    "commander",
    "unit_responder",
)
async def acknowledge_task(
    incident_id: IncidentId, action_key: ActionKey, send: SenderDep, body: TaskIn | None = None
) -> CommandOutcome:
    """The owning unit (or the duty office for it) acknowledges the task order."""
    row = await _task(send, incident_id, action_key, alert=False)
    payload = {"action_key": action_key, "note": body.note if body else ""}
    return await _send(send, row, CommandType.ACKNOWLEDGE_TASK, payload)


@_command_route(
    "/incidents/{incident_id}/tasks/{action_key}/complete",
    "Report a task done",
    "duty_officer",
    "commander",
    "unit_responder",
)
async def complete_task(
    incident_id: IncidentId, action_key: ActionKey, body: CompleteTaskIn, send: SenderDep
) -> CommandOutcome:
    """The step is done; `result` says what was done."""
    row = await _task(send, incident_id, action_key, alert=False)
    payload = {"action_key": action_key, "result": body.result}
    return await _send(send, row, CommandType.COMPLETE_TASK, payload)


@_command_route("/incidents/{incident_id}/level", "Change the level (reason required)", "duty_officer", "commander")
async def decide_level(incident_id: IncidentId, body: DecideLevelIn, send: SenderDep) -> CommandOutcome:
    """Raise or lower the level with a reason. Only a commander lowers a level (a duty officer may raise it)."""
    row = await incident_or_404(send.svc.db, incident_id, send.identity)
    identity = send.identity
    if Level.parse(body.level) < Level.parse(row.level) and not identity.has("commander"):
        raise Forbidden(
            f"only a commander lowers a level ({row.level} → {body.level}); "
            f"{identity.name} has {', '.join(identity.roles)}"
        )
    payload = {"level": body.level, "reason": body.reason}
    return await _send(send, row, CommandType.DECIDE_LEVEL, payload)


@_command_route("/incidents/{incident_id}/facts", "Set verified facts", "duty_officer", "commander")
async def set_verified_facts(incident_id: IncidentId, body: VerifiedFactsIn, send: SenderDep) -> CommandOutcome:
    """Verified figures override the aggregate (the incident is regraded); who and why are recorded."""
    row = await incident_or_404(send.svc.db, incident_id, send.identity)
    payload = {"facts": body.facts.model_dump(mode="json", exclude_none=True), "reason": body.reason}
    return await _send(send, row, CommandType.SET_VERIFIED_FACTS, payload)


@_command_route("/incidents/{incident_id}/notes", "Add a note", "duty_officer", "commander", "drill_controller")
async def add_note(incident_id: IncidentId, body: NoteIn, send: SenderDep) -> CommandOutcome:
    """A note on the incident's timeline."""
    row = await incident_or_404(send.svc.db, incident_id, send.identity)
    return await _send(send, row, CommandType.ADD_NOTE, {"text": body.text})


@_command_route(
    "/incidents/{incident_id}/termination/signals", "Update termination signals", "duty_officer", "commander"
)
async def update_signals(incident_id: IncidentId, body: SignalsIn, send: SenderDep) -> CommandOutcome:
    """Inputs of the termination criteria (site controlled, patients stable since, ...)."""
    row = await incident_or_404(send.svc.db, incident_id, send.identity)
    return await _send(send, row, CommandType.UPDATE_TERMINATION_SIGNALS, {"signals": body.signals})


@_command_route("/incidents/{incident_id}/termination/propose", "Propose termination", "duty_officer", "commander")
async def propose_termination(incident_id: IncidentId, body: TerminationIn, send: SenderDep) -> CommandOutcome:
    """Propose ending the response; the criteria are checked and shown on the timeline."""
    row = await incident_or_404(send.svc.db, incident_id, send.identity)
    return await _send(send, row, CommandType.PROPOSE_TERMINATION, {"reason": body.reason})


@_command_route("/incidents/{incident_id}/termination/approve", "Approve termination (commander)", "commander")
async def approve_termination(incident_id: IncidentId, body: TerminationIn, send: SenderDep) -> CommandOutcome:
    """A commander approves ending the response: the incident closes and post-incident steps are planned."""
    row = await incident_or_404(send.svc.db, incident_id, send.identity)
    return await _send(send, row, CommandType.APPROVE_TERMINATION, {"reason": body.reason})
