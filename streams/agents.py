"""Intake agents: validate raw reports (bad ones to the dead-letter topic) and correlate them into incidents."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import faust
import structlog

from infra.wire import CommandType, Envelope, EventType, stable_id
from infra.wire.report import ReportIn, ReportRejected, parse_report
from playbooks.report import ACTUAL, Report
from streams import (
    drill_projector,  # noqa: F401 - importing it registers the drill projector agent (ADR 0018)
    topics,
)
from streams.app import app, clock, settings
from streams.playbooks_cache import library
from streams.records import envelopes, letter_for, raw_of, send, send_dead_letter, where

log = structlog.get_logger("tocsin.streams")
CORRELATION_WINDOW = timedelta(hours=settings.correlation_window_hours)

correlations = app.Table("correlations", default=None, partitions=settings.partitions)


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
        at = where(event)
        try:
            report_in, report = check_report(raw_of(event))
        except ReportRejected as exc:
            await send_dead_letter(topics.reports_dlq, letter_for(event, exc.reason, clock))
            log.warning("report.rejected", reason=exc.reason, at=at)
            continue
        accepted = Envelope.new(
            EventType.REPORT_ACCEPTED,
            at=clock.now(),
            mode=report.mode,
            exercise_id=report.exercise_id,
            causation=at,
            payload=report_in.model_dump(mode="json"),
            id_=stable_id("accepted", at),
        )
        if report.incident_ref:
            await send(topics.incident_commands, report.incident_ref, receive_command(accepted, report.incident_ref))
        else:
            await send(topics.reports_accepted, report.correlation_key, accepted)
        log.info("report.accepted", report_id=report.report_id, at=at)


def receive_command(accepted: Envelope, incident_id: str) -> Envelope:
    """The ReceiveReport command that sends an accepted report to its incident's writer."""
    return Envelope(
        id=stable_id("receive", accepted.id, incident_id),
        type=CommandType.RECEIVE_REPORT,
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
async def correlate(stream: faust.StreamT[bytes]) -> None:
    """Join a report to the open incident at the same place within the window, or open a new one."""
    async for _event, message in envelopes(stream, topics.reports_dlq, clock):
        if message.type == EventType.CORRELATION_CLOSED:
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
        await send(topics.incident_commands, incident_id, receive_command(message, incident_id))


def _within_window(reported_at: datetime, last_iso: Any) -> bool:
    return abs(reported_at - datetime.fromisoformat(str(last_iso))) <= CORRELATION_WINDOW
