"""The agents: intake (validate), correlate (assign incident), incident (single writer), projector (read model)."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from typing import Any

import faust
import structlog

from infra.clock import SystemClock
from infra.db.engine import Database
from infra.db.projection import apply_event
from infra.report_contract import ReportIn, ReportRejected, parse_report
from playbooks import PlaybookLibrary, load_library
from playbooks.handlers import receive_report
from playbooks.incident import from_dict, to_dict
from playbooks.report import ACTUAL, Report
from streams import topics
from streams.app import app, settings
from streams.records import DeadLetter, Envelope, envelope, stable_id

log = structlog.get_logger("tocsin.streams")
clock = SystemClock()
CORRELATION_WINDOW = timedelta(hours=72)

correlations = app.Table("correlations", default=None, partitions=settings.partitions)
incidents = app.Table("incidents", default=None, partitions=settings.partitions)

_library: PlaybookLibrary | None = None


def library() -> PlaybookLibrary:
    """The playbook library, loaded once per worker."""
    global _library
    if _library is None:
        _library = load_library(settings.playbook_dir, selections={"food_safety": settings.grading_family})
    return _library


def dead_letter(raw: bytes, reason: str, event: Any) -> DeadLetter:
    """Wrap rejected bytes with the reason and where they came from."""
    try:
        original, encoding = raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        original, encoding = base64.b64encode(raw).decode("ascii"), "base64"
    where = f"{event.message.topic}:{event.message.partition}:{event.message.offset}"
    key = event.key.decode("utf-8", "replace") if isinstance(event.key, bytes) else None
    return DeadLetter(
        id=stable_id("dlq", where), type="ReportRejected", time=clock.now().isoformat(), mode="unknown",
        causation=where, reason=reason, original=original, encoding=encoding, topic=event.message.topic,
        partition=event.message.partition, offset=event.message.offset, key=key,
    )


@app.agent(topics.reports)
async def intake(stream: faust.StreamT[bytes]) -> None:
    """Validate raw reports: bad ones go to the dead-letter topic with the reason, good ones on to correlation."""
    async for event in stream.events():
        raw = event.value if isinstance(event.value, bytes) else bytes(event.value or b"")
        where = f"{event.message.topic}:{event.message.partition}:{event.message.offset}"
        try:
            report_in = parse_report(raw)
        except ReportRejected as exc:
            await topics.reports_dlq.send(key=event.key, value=dead_letter(raw, exc.reason, event))
            log.warning("report.rejected", reason=exc.reason, at=where)
            continue
        report = report_in.to_domain()
        known_types = sorted(p.incident_type for p in library().all())
        if report.incident_type not in known_types:
            reason = f"incident_type: no playbook for {report.incident_type!r} (known: {', '.join(known_types)})"
            await topics.reports_dlq.send(key=event.key, value=dead_letter(raw, reason, event))
            log.warning("report.rejected", reason=reason, at=where)
            continue
        accepted = envelope(
            "ReportAccepted", at=clock.now(), mode=report.mode, exercise_id=report.exercise_id,
            causation=where, payload=report_in.model_dump(mode="json"), id_=stable_id("accepted", where),
        )
        if report.incident_ref:
            await topics.incident_commands.send(key=report.incident_ref, value=_receive(accepted, report.incident_ref))
        else:
            await topics.reports_accepted.send(key=report.correlation_key, value=accepted)
        log.info("report.accepted", report_id=report.report_id, at=where)


def _receive(accepted: Envelope, incident_id: str) -> Envelope:
    """The ReceiveReport command that sends an accepted report to its incident's writer."""
    return Envelope(
        id=stable_id("receive", accepted.id), type="ReceiveReport", time=accepted.time, mode=accepted.mode,
        payload=accepted.payload, causation=accepted.id, exercise_id=accepted.exercise_id, incident_id=incident_id,
    )


def new_incident_id(report: Report) -> str:
    """A deterministic id from the first report, so a replayed correlation opens the same incident."""
    scope = report.exercise_id or ACTUAL
    return f"INC-{report.reported_at:%Y%m%d}-{stable_id('incident', scope, report.report_id)[:8]}"


@app.agent(topics.reports_accepted)
async def correlate(stream: faust.StreamT[Envelope]) -> None:
    """Join a report to the open incident at the same place within the window, or open a new one."""
    async for accepted in stream:
        report = ReportIn.model_validate(accepted.payload).to_domain()
        key = report.correlation_key
        known: dict[str, Any] | None = correlations.get(key)
        if known and _within_window(report.reported_at, known["last_report_at"]):
            incident_id = str(known["incident_id"])
            last = max(report.reported_at, datetime.fromisoformat(known["last_report_at"]))
        else:
            incident_id, last = new_incident_id(report), report.reported_at
        correlations[key] = {"incident_id": incident_id, "last_report_at": last.isoformat()}
        await topics.incident_commands.send(key=incident_id, value=_receive(accepted, incident_id))


def _within_window(reported_at: datetime, last_iso: str) -> bool:
    return abs(reported_at - datetime.fromisoformat(last_iso)) <= CORRELATION_WINDOW


@app.agent(topics.incident_commands)
async def incident(stream: faust.StreamT[Envelope]) -> None:
    """The single writer per incident: apply commands through the domain and emit events."""
    async for command in stream:
        incident_id = str(command.incident_id)
        if command.type != "ReceiveReport":
            log.warning("command.unknown", type=command.type, id=command.id)
            continue
        report = ReportIn.model_validate(command.payload).to_domain()
        stored: dict[str, Any] | None = incidents.get(incident_id)
        state = from_dict(stored) if stored else None
        playbook = library().get(report.incident_type if state is None else state.incident_type)
        outcome = receive_report(state, incident_id, report, playbook=playbook, now=clock.now())
        for event in outcome.events:
            outcome.incident.seq += 1
            await topics.incident_events.send(key=incident_id, value=envelope(
                event.type, at=event.at, mode=outcome.incident.mode, exercise_id=outcome.incident.exercise_id,
                causation=command.id, incident_id=incident_id,
                id_=stable_id("event", incident_id, str(outcome.incident.seq)),
                payload={"seq": outcome.incident.seq, "event": event.data, "incident": outcome.incident.snapshot()},
            ))
        if outcome.events:
            incidents[incident_id] = to_dict(outcome.incident)


_database: Database | None = None


@app.agent(topics.incident_events)
async def projector(stream: faust.StreamT[Envelope]) -> None:
    """Project incident events into the SQL read model with idempotent upserts."""
    global _database
    if _database is None:
        _database = Database(settings.database_url)
        await _database.create_schema()
    async for event in stream:
        await apply_event(_database, event.asdict())
