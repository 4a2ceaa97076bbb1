"""Tocsin's topics. Names follow DESIGN.md §3 under the configured prefix."""

from __future__ import annotations

from streams.app import app, settings
from streams.records import DeadLetter, Envelope

REPORTS = settings.topic("reports")
REPORTS_DLQ = settings.topic("reports.dlq")
REPORTS_ACCEPTED = settings.topic("reports.accepted")
INCIDENT_COMMANDS = settings.topic("incident-commands")
INCIDENT_EVENTS = settings.topic("incident-events")
ROSTER_COMMANDS = settings.topic("roster-commands")
DRILL_COMMANDS = settings.topic("drill-commands")
"""Drill commands (StartDrill, PauseDrill, InjectNow, ...), key = exercise id (docs/adr/0018)."""
DRILL_EVENTS = settings.topic("drill-events")
"""Drill events (DrillUpdated, DrillCommandRejected, DrillReportWritten), key = exercise id (docs/adr/0018)."""

ALL_TOPICS = (
    REPORTS,
    REPORTS_DLQ,
    REPORTS_ACCEPTED,
    INCIDENT_COMMANDS,
    INCIDENT_EVENTS,
    ROSTER_COMMANDS,
    DRILL_COMMANDS,
    DRILL_EVENTS,
)
"""Topics the platform creates at start-up (faust creates its own changelog topics)."""

reports = app.topic(REPORTS, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw")
reports_dlq = app.topic(REPORTS_DLQ, key_type=bytes, value_type=DeadLetter, key_serializer="raw")
reports_accepted = app.topic(REPORTS_ACCEPTED, key_type=str, value_type=Envelope)
incident_commands = app.topic(INCIDENT_COMMANDS, key_type=str, value_type=Envelope)
incident_events = app.topic(INCIDENT_EVENTS, key_type=str, value_type=Envelope)
drill_events = app.topic(DRILL_EVENTS, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw")
"""Raw bytes: the drill host is another program, so the projector parses (and skips a malformed event) itself."""
