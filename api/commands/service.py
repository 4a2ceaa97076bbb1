"""Submitting a command: build the envelope, publish it, audit it, and optionally wait for its outcome.

The API never writes the read model: it puts a command on Kafka keyed by the incident (or unit) id, and
reads what the single writer made of it from `command_results` (docs/messages.md).
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Depends, Query, Request, Response, status
from pydantic import BaseModel, Field

from api.auth import CurrentUser
from api.deps import ClientIp, Services, ServicesDep
from api.errors import ApiError
from api.publisher import PublishFailed
from infra.db import audit, queries
from infra.db.users import Identity
from infra.wire import CommandType, DrillCommandType, Envelope

CommandKind = CommandType | DrillCommandType
"""What the API sends: an incident or roster command, or a drill controller's command."""

MAX_WAIT_SECONDS = 30
POLL_SECONDS = 0.1

Wait = Annotated[
    int, Query(ge=0, le=MAX_WAIT_SECONDS, description="seconds to wait for the outcome (read-your-writes)")
]
"""The `?wait` query parameter of every command route."""


class CommandOutcome(BaseModel):
    """What became of a command so far: accepted (on Kafka), pending (waited, no result yet), applied,
    or rejected (with the reason)."""

    command_id: str = Field(examples=["0f8c2b7e-2d5b-4b8e-9c39-3c1f0f4b9a61"])
    type: str = Field(examples=[CommandType.DECIDE_LEVEL.value])
    status: Literal["accepted", "pending", "applied", "rejected"]
    incident_id: str | None = None
    detail: str = Field("", examples=["waited 5 s; the read model does not show the command yet"])


class Unavailable(ApiError):
    """503: Kafka did not take the command."""

    code = status.HTTP_503_SERVICE_UNAVAILABLE


def command_not_confirmed(command_id: str, exc: PublishFailed) -> str:
    """The 503 body of a command Kafka did not confirm: in doubt, check before repeating; else not written."""
    if exc.in_doubt:
        return (
            f"{exc}. Command {command_id} may or may not have been written (in doubt): if Kafka has it, it is "
            "applied once Kafka is back. Look at the incident's timeline before sending it again."
        )
    return f"{exc}. Command {command_id} was not written; send it again."


@dataclass(frozen=True)
class Target:
    """Where a command goes: topic, key, and the incident's mode and exercise."""

    topic: str
    key: str
    incident_id: str | None
    mode: str = "actual"
    exercise_id: str | None = None


@dataclass(frozen=True)
class Caller:
    """Who sends a command and from where."""

    identity: Identity
    ip: str | None
    request_id: str | None

    def actor(self) -> dict[str, Any]:
        """The `actor` object every command payload from a person carries."""
        i = self.identity
        return {"user": i.name, "roles": list(i.roles), "unit": i.unit, "ip": self.ip}


def envelope(command_id: str, type_: CommandKind, target: Target, payload: dict[str, Any], *, at: datetime) -> Envelope:
    """The command's envelope (infra.wire): to the target's incident, in its mode and exercise."""
    return Envelope.new(
        type_,
        at=at,
        mode=target.mode,
        payload=payload,
        exercise_id=target.exercise_id,
        incident_id=target.incident_id,
        id_=command_id,
    )


@dataclass(frozen=True)
class CommandSender:
    """One request's way to send commands: the services, the caller, the response whose status code it sets,
    and the request's `?wait`. Routes get it from `SenderDep`."""

    svc: Services
    caller: Caller
    response: Response
    wait: int

    @property
    def identity(self) -> Identity:
        """The caller's identity."""
        return self.caller.identity

    async def submit(
        self, type_: CommandKind, target: Target, payload: dict[str, Any], *, wait: int | None = None
    ) -> CommandOutcome:
        """Publish, audit, then wait up to `wait` seconds (default: the request's) for the outcome; set the
        status code on the response: 200 applied, 409 rejected, 202 otherwise."""
        svc = self.svc
        entry = self._audit_entry(str(uuid.uuid4()), type_, target, payload)
        try:
            body = {**payload, "actor": self.caller.actor()}
            message = envelope(entry.command_id, type_, target, body, at=entry.at)
            await svc.publisher.send_json(target.topic, target.key, message.to_dict())
        except PublishFailed as exc:
            fate = "in_doubt" if exc.in_doubt else "publish_failed"
            await audit.record(svc.db, replace(entry, outcome=fate, detail=str(exc)))
            svc.metrics.commands.labels(type_, "failed").inc()
            raise Unavailable(command_not_confirmed(entry.command_id, exc), {"Retry-After": "5"}) from exc
        await audit.record(svc.db, entry)
        svc.metrics.commands.labels(type_, "accepted").inc()
        outcome = CommandOutcome(
            command_id=entry.command_id, type=type_, status="accepted", incident_id=target.incident_id
        )
        seconds = self.wait if wait is None else wait
        if seconds > 0:
            outcome = await _wait(svc, outcome, seconds)
        if outcome.status in ("applied", "rejected"):
            svc.metrics.commands.labels(type_, outcome.status).inc()
        self.response.status_code = {"applied": status.HTTP_200_OK, "rejected": status.HTTP_409_CONFLICT}.get(
            outcome.status, status.HTTP_202_ACCEPTED
        )
        return outcome

    def _audit_entry(
        self, command_id: str, type_: CommandKind, target: Target, payload: dict[str, Any]
    ) -> audit.AuditEntry:
        """The audit log's record of the command (its payload without the actor, who has columns of their own)."""
        identity = self.caller.identity
        return audit.AuditEntry(
            at=self.svc.clock.now(),
            actor=identity.name,
            roles=identity.roles,
            unit=identity.unit,
            ip=self.caller.ip,
            request_id=self.caller.request_id,
            command_id=command_id,
            command_type=type_,
            topic=target.topic,
            incident_id=target.incident_id,
            mode=target.mode,
            exercise_id=target.exercise_id,
            payload=payload,
        )


async def command_sender(
    svc: ServicesDep, identity: CurrentUser, request: Request, response: Response, ip: ClientIp, wait: Wait = 0
) -> CommandSender:
    """The request's command sender. FastAPI gives a dependency the same `response` as the route, so the status
    code the sender sets is the route's."""
    return CommandSender(svc, Caller(identity, ip, getattr(request.state, "request_id", None)), response, wait)


SenderDep = Annotated[CommandSender, Depends(command_sender)]


async def _wait(svc: Services, outcome: CommandOutcome, seconds: int) -> CommandOutcome:
    """Poll command_results until the command's row appears or `seconds` pass (read-your-writes)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + min(seconds, MAX_WAIT_SECONDS)
    while True:
        result = await queries.command_result(svc.db, outcome.command_id)
        if result is not None:
            state: Literal["applied", "rejected"] = "rejected" if result.status == "rejected" else "applied"
            return outcome.model_copy(update={"status": state, "detail": result.reason})
        if loop.time() >= deadline:
            return outcome.model_copy(
                update={
                    "status": "pending",
                    "detail": f"waited {seconds} s; the read model does not show the command yet (it is on Kafka "
                    "and will be applied)",
                }
            )
        await asyncio.sleep(POLL_SECONDS)
