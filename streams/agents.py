"""Agents: intake (validate), correlate (assign incident), incident (single writer) and the deadline sweep."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from typing import Any

import faust
import structlog

from infra.clock import clock_for
from infra.wire.report import ReportIn, ReportRejected, parse_report
from playbooks.handlers import CommandRejected, Context, Outcome, escalation_interval, handle, receive_report
from playbooks.incident import CLOSED, Event, Incident, from_dict, to_dict
from playbooks.report import ACTUAL, Report
from playbooks.response import next_deadline
from streams import (
    drill_projector,  # noqa: F401 - importing it registers the drill projector agent (ADR 0018)
    topics,
)
from streams.app import app, settings
from streams.playbooks_cache import library, playbook_for
from streams.records import DeadLetter, Envelope, envelope, stable_id

log = structlog.get_logger("tocsin.streams")
clock = clock_for(settings.clock_speed)
CORRELATION_WINDOW = timedelta(hours=settings.correlation_window_hours)

correlations = app.Table("correlations", default=None, partitions=settings.partitions)
incidents = app.Table("incidents", default=None, partitions=settings.partitions)


def dead_letter(raw: bytes, reason: str, event: Any) -> DeadLetter:
    """Wrap rejected bytes with the reason and where they came from."""
    try:
        original, encoding = raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        original, encoding = base64.b64encode(raw).decode("ascii"), "base64"
    where = f"{event.message.topic}:{event.message.partition}:{event.message.offset}"
    key = event.key.decode("utf-8", "replace") if isinstance(event.key, bytes) else None
    return DeadLetter(
        id=stable_id("dlq", where),
        type="ReportRejected",
        time=clock.now().isoformat(),
        mode="unknown",
        causation=where,
        reason=reason,
        original=original,
        encoding=encoding,
        topic=event.message.topic,
        partition=event.message.partition,
        offset=event.message.offset,
        key=key,
    )


def check_report(raw: bytes) -> tuple[ReportIn, Report]:
    """Validate raw bytes as a report of a type the library has a playbook for; raise ReportRejected."""
    report_in = parse_report(raw)
    report = report_in.to_domain()
    known_types = sorted(p.incident_type for p in library().all())
    if report.incident_type not in known_types:
        known = ", ".join(known_types)
        raise ReportRejected(f"incident_type: no playbook for {report.incident_type!r} (known: {known})")
    return report_in, report


@app.agent(topics.reports)
async def intake(stream: faust.StreamT[bytes]) -> None:
    """Validate raw reports: bad ones go to the dead-letter topic with the reason, good ones on to correlation."""
    async for event in stream.events():
        raw = event.value if isinstance(event.value, bytes) else bytes(event.value or b"")
        where = f"{event.message.topic}:{event.message.partition}:{event.message.offset}"
        try:
            report_in, report = check_report(raw)
        except ReportRejected as exc:
            await topics.reports_dlq.send(key=event.key, value=dead_letter(raw, exc.reason, event))
            log.warning("report.rejected", reason=exc.reason, at=where)
            continue
        accepted = envelope(
            "ReportAccepted",
            at=clock.now(),
            mode=report.mode,
            exercise_id=report.exercise_id,
            causation=where,
            payload=report_in.model_dump(mode="json"),
            id_=stable_id("accepted", where),
        )
        if report.incident_ref:
            command = receive_command(accepted, report.incident_ref)
            await topics.incident_commands.send(key=report.incident_ref, value=command)
        else:
            await topics.reports_accepted.send(key=report.correlation_key, value=accepted)
        log.info("report.accepted", report_id=report.report_id, at=where)


def receive_command(accepted: Envelope, incident_id: str) -> Envelope:
    """The ReceiveReport command that sends an accepted report to its incident's writer."""
    return Envelope(
        id=stable_id("receive", accepted.id, incident_id),
        type="ReceiveReport",
        time=accepted.time,
        mode=accepted.mode,
        payload=accepted.payload,
        causation=accepted.id,
        exercise_id=accepted.exercise_id,
        incident_id=incident_id,
    )


def new_incident_id(report: Report) -> str:
    """A deterministic id from the first report, so a replayed correlation opens the same incident."""
    scope = report.exercise_id or ACTUAL
    return f"INC-{report.reported_at:%Y%m%d}-{stable_id('incident', scope, report.report_id)[:8]}"


@app.agent(topics.reports_accepted)
async def correlate(stream: faust.StreamT[Envelope]) -> None:
    """Join a report to the open incident at the same place within the window, or open a new one."""
    async for message in stream:
        if message.type == "CorrelationClosed":
            key = str(message.payload["correlation_key"])
            known = correlations.get(key)
            if known and known["incident_id"] == message.incident_id:
                correlations.pop(key, None)
            continue
        report = ReportIn.model_validate(message.payload).to_domain()
        key = report.correlation_key
        known = correlations.get(key)
        if known and _within_window(report.reported_at, known["last_report_at"]):
            incident_id = str(known["incident_id"])
            last = max(report.reported_at, datetime.fromisoformat(known["last_report_at"]))
        else:
            incident_id, last = new_incident_id(report), report.reported_at
        correlations[key] = {"incident_id": incident_id, "last_report_at": last.isoformat()}
        await topics.incident_commands.send(key=incident_id, value=receive_command(message, incident_id))


def _within_window(reported_at: datetime, last_iso: str) -> bool:
    return abs(reported_at - datetime.fromisoformat(last_iso)) <= CORRELATION_WINDOW


@app.agent(topics.incident_commands)
async def incident(stream: faust.StreamT[Envelope]) -> None:
    """The single writer per incident: apply commands through the domain and emit events."""
    async for command in stream:
        await apply_command(command)


async def apply_command(command: Envelope) -> None:
    """Apply one command to its incident's state, emit the events, and store the new state."""
    incident_id = str(command.incident_id)
    stored: dict[str, Any] | None = incidents.get(incident_id)
    state = from_dict(stored) if stored else None
    now = clock.now()
    actor = command.payload.get("actor") if isinstance(command.payload.get("actor"), dict) else {}
    if command.type == "ReceiveReport":
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
                        "CommandRejected",
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
        await topics.incident_events.send(
            key=current.id,
            value=envelope(
                event.type,
                at=event.at,
                mode=current.mode,
                exercise_id=current.exercise_id,
                causation=command.id,
                incident_id=current.id,
                id_=stable_id("event", current.id, str(seq)),
                payload={"seq": seq, "event": event.data, "incident": current.snapshot()},
            ),
        )
        if event.type == "IncidentClosed":
            await topics.reports_accepted.send(
                key=current.correlation_key,
                value=envelope(
                    "CorrelationClosed",
                    at=event.at,
                    mode=current.mode,
                    exercise_id=current.exercise_id,
                    causation=command.id,
                    incident_id=current.id,
                    id_=stable_id("closed", current.id),
                    payload={"correlation_key": current.correlation_key},
                ),
            )


async def _reopen_elsewhere(command: Envelope, closed: Incident) -> None:
    """A report for a closed incident goes back to correlation, which opens a new incident for it."""
    log.info("report.after_close", incident_id=closed.id, command=command.id)
    await topics.reports_accepted.send(
        key=closed.correlation_key,
        value=Envelope(
            id=stable_id("redirect", command.id),
            type="ReportAccepted",
            time=command.time,
            mode=command.mode,
            payload=command.payload,
            causation=command.id,
            exercise_id=command.exercise_id,
        ),
    )


@app.timer(interval=settings.sweep_interval)  # type: ignore[untyped-decorator]
async def sweep_deadlines() -> None:
    """Ask the writer of each local incident with something due to check its deadlines (never mutate here)."""
    now = clock.now()
    for incident_id, stored in list(incidents.items()):
        due = stored.get("next_attention_at") if isinstance(stored, dict) else None
        if due and datetime.fromisoformat(due) <= now:
            await topics.incident_commands.send(
                key=incident_id,
                value=envelope(
                    "CheckDeadlines",
                    at=now,
                    mode=stored["mode"],
                    exercise_id=stored.get("exercise_id"),
                    causation=None,
                    incident_id=incident_id,
                    payload={"now": now.isoformat()},
                ),
            )
