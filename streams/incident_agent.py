"""The incident agent (single writer per incident) and the deadline sweep."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import faust
import structlog

from infra.wire import CommandType, Envelope, EventType, stable_id
from infra.wire.report import ReportIn
from playbooks.handlers import CommandRejected, Context, Outcome, escalation_interval, handle, receive_report
from playbooks.incident import CLOSED, Event, Incident, from_dict, to_dict
from playbooks.response import next_deadline
from streams import topics
from streams.app import app, clock, settings
from streams.playbooks_cache import playbook_for
from streams.records import envelopes, send

log = structlog.get_logger("tocsin.streams")

incidents = app.Table("incidents", default=None, partitions=settings.partitions)


@app.agent(topics.incident_commands)
async def incident(stream: faust.StreamT[bytes]) -> None:
    """The single writer per incident: apply commands through the domain and emit events."""
    async for _event, command in envelopes(stream, topics.reports_dlq, clock):
        await apply_command(command)


async def apply_command(command: Envelope) -> None:
    """Apply one command to its incident's state, emit the events, and store the new state."""
    incident_id = str(command.incident_id)
    stored: dict[str, Any] | None = incidents.get(incident_id)
    state = from_dict(stored) if stored else None
    now = clock.now()
    actor = command.payload.get("actor") if isinstance(command.payload.get("actor"), dict) else {}
    if command.type == CommandType.RECEIVE_REPORT:
        report = ReportIn.model_validate(command.payload).to_domain()
        if state is not None and state.status == CLOSED:
            await _reopen_elsewhere(command, state)
            return
        playbook = await playbook_for(
            report.incident_type, state.playbook_version if state else None, state.rule_set if state else None
        )
        outcome = receive_report(state, incident_id, report, Context(playbook, now))
    elif state is None:
        log.warning("command.unknown_incident", type=command.type, id=command.id, incident_id=incident_id)
        return
    else:
        playbook = await playbook_for(state.incident_type, state.playbook_version, state.rule_set)
        try:
            outcome = handle(state, command.type, command.payload, Context(playbook, now, actor or {}))
        except CommandRejected as exc:
            outcome = Outcome(
                state,
                [
                    Event(
                        EventType.COMMAND_REJECTED,
                        now,
                        {
                            "command_id": command.id,
                            "command": command.type,
                            "reason": str(exc),
                            "by": (actor or {}).get("user"),
                        },
                    )
                ],
            )
    await emit(outcome, command)
    if outcome.events:
        data = to_dict(outcome.incident)
        deadline = next_deadline(outcome.incident.items, escalation_interval(playbook))
        data["next_attention_at"] = deadline.isoformat() if deadline else None
        incidents[incident_id] = data


async def emit(outcome: Outcome, command: Envelope) -> None:
    """Publish the outcome's events, numbered and with deterministic ids, on the incident's partition."""
    current: Incident = outcome.incident
    for event in outcome.events:
        seq = current.next_seq()
        message = Envelope.new(
            event.type,
            at=event.at,
            mode=current.mode,
            exercise_id=current.exercise_id,
            causation=command.id,
            incident_id=current.id,
            id_=stable_id("event", current.id, str(seq)),
            payload={"seq": seq, "event": event.data, "incident": current.snapshot()},
        )
        await send(topics.incident_events, current.id, message)
        if event.type == EventType.INCIDENT_CLOSED:
            closed = Envelope.new(
                EventType.CORRELATION_CLOSED,
                at=event.at,
                mode=current.mode,
                exercise_id=current.exercise_id,
                causation=command.id,
                incident_id=current.id,
                id_=stable_id("closed", current.id),
                payload={"correlation_key": current.correlation_key},
            )
            await send(topics.reports_accepted, current.correlation_key, closed)


async def _reopen_elsewhere(command: Envelope, closed: Incident) -> None:
    """A report for a closed incident goes back to correlation, which opens a new incident for it."""
    log.info("report.after_close", incident_id=closed.id, command=command.id)
    redirect = Envelope(
        id=stable_id("redirect", command.id),
        type=EventType.REPORT_ACCEPTED,
        time=command.time,
        mode=command.mode,
        payload=command.payload,
        causation=command.id,
        exercise_id=command.exercise_id,
    )
    await send(topics.reports_accepted, closed.correlation_key, redirect)


@app.timer(interval=settings.sweep_interval)  # type: ignore[untyped-decorator]
async def sweep_deadlines() -> None:
    """Ask the writer of each local incident with something due to check its deadlines (never mutate here)."""
    now = clock.now()
    for incident_id, stored in list(incidents.items()):
        due = stored.get("next_attention_at") if isinstance(stored, dict) else None
        if due and datetime.fromisoformat(due) <= now:
            check = Envelope.new(
                CommandType.CHECK_DEADLINES,
                at=now,
                mode=stored["mode"],
                exercise_id=stored.get("exercise_id"),
                incident_id=incident_id,
                payload={"now": now.isoformat()},
            )
            await send(topics.incident_commands, incident_id, check)
