"""Intake, framework-free: a raw report becomes an accepted envelope and its route, or a rejection reason.

The faust agent (streams/agents.py) only moves bytes: it hands each raw report to `take_in` and sends what
comes back. Nothing here imports faust, so intake is tested without a worker.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from infra.wire import CommandType, Envelope, EventType, stable_id
from infra.wire.report import ReportIn, ReportRejected, parse_report
from playbooks import PlaybookLibrary
from playbooks.report import Report


class Destination(StrEnum):
    """Where an accepted report goes next (topic names without the deployment prefix)."""

    INCIDENT_COMMANDS = "incident-commands"
    """A report naming its incident (`incident_ref`) goes straight to that incident's writer."""
    REPORTS_ACCEPTED = "reports.accepted"
    """Any other report goes to correlation, keyed by its correlation key."""


@dataclass(frozen=True)
class Routed:
    """An accepted report: the message to publish, the topic it goes to and its key."""

    destination: Destination
    key: str
    message: Envelope
    report_id: str


@dataclass(frozen=True)
class Rejected:
    """A report that cannot be accepted; `reason` names the field and value (it goes to the dead-letter topic)."""

    reason: str


def check_report(raw: bytes, library: PlaybookLibrary) -> tuple[ReportIn, Report]:
    """Validate raw bytes as a report of a type the library has a playbook for; raise ReportRejected."""
    report_in = parse_report(raw)
    report = report_in.to_domain()
    known_types = sorted(p.incident_type for p in library.all())
    if report.incident_type not in known_types:
        known = ", ".join(known_types)
        raise ReportRejected(f"incident_type: no playbook for {report.incident_type!r} (known: {known})")
    return report_in, report


def take_in(raw: bytes, *, source: str, library: PlaybookLibrary, now: datetime) -> Routed | Rejected:
    """Accept the raw report read at `source` (`topic:partition:offset`) and route it, or say why not."""
    try:
        report_in, report = check_report(raw, library)
    except ReportRejected as exc:
        return Rejected(exc.reason)
    accepted = Envelope.new(
        EventType.REPORT_ACCEPTED,
        at=now,
        mode=report.mode,
        exercise_id=report.exercise_id,
        causation=source,
        payload=report_in.model_dump(mode="json"),
        id_=stable_id("accepted", source),
    )
    if report.incident_ref:
        command = receive_command(accepted, report.incident_ref)
        return Routed(Destination.INCIDENT_COMMANDS, report.incident_ref, command, report.report_id)
    return Routed(Destination.REPORTS_ACCEPTED, report.correlation_key, accepted, report.report_id)


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
