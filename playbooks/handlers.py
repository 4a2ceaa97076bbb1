"""Use cases of the incident aggregate: what happens when a report arrives."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from playbooks import Playbook, grade
from playbooks.incident import Event, Incident, attach_report, change_level, open_incident
from playbooks.report import Report


@dataclass
class Outcome:
    """The incident after a command, and the events the command produced (empty when it was a repeat)."""

    incident: Incident
    events: list[Event] = field(default_factory=list)


def receive_report(incident: Incident | None, incident_id: str, report: Report, *,
                   playbook: Playbook, now: datetime) -> Outcome:
    """Open or update an incident with a report, then regrade; the level only rises automatically."""
    events: list[Event] = []
    if incident is None:
        incident, opened = open_incident(
            incident_id, report, playbook_id=playbook.id, playbook_version=playbook.version, now=now,
        )
        events.append(opened)
    attached = attach_report(incident, report, now=now)
    if not attached:
        return Outcome(incident)
    events.extend(attached)
    grading = grade(playbook, incident.facts, venue_type=incident.venue_type)
    first_grading = len(incident.level_history) == 0
    if grading.level > incident.level or first_grading:
        events.append(change_level(
            incident, grading.level, rule_id=grading.rule_id, explanation=grading.explanation,
            decided_by=None, now=now,
        ))
    return Outcome(incident, events)
