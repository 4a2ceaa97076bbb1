"""Tocsin's topics. Names follow DESIGN.md §3 under the configured prefix."""

from __future__ import annotations

import faust

from streams.app import app, changelog_topic, settings

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
"""Topics the platform creates at start-up."""

INCIDENTS_TABLE = "incidents"
"""The writer's table: each incident's state (streams/incident_agent.py)."""
CORRELATIONS_TABLE = "correlations"
"""Correlation's table: the open incident per correlation key (streams/agents.py)."""
CHANGELOG_TOPICS = tuple(changelog_topic(settings, table) for table in (INCIDENTS_TABLE, CORRELATIONS_TABLE))
"""The tables' changelogs, created (compacted) before a worker starts: left to faust, two processes of a role
starting together race, and the one that looks first sees a changelog with 0 partitions and crashes."""
CHANGELOG_CONFIG = {"cleanup.policy": "compact"}
"""What faust would give a changelog it creates."""


def _raw(name: str) -> faust.TopicT:
    """A topic of raw bytes: agents decode values with the wire contract (infra/wire), never faust models."""
    return app.topic(name, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw")


reports = _raw(REPORTS)
reports_dlq = _raw(REPORTS_DLQ)
"""Rejected input of every kind: reports, and envelopes on the command topics that do not decode."""
reports_accepted = _raw(REPORTS_ACCEPTED)
incident_commands = _raw(INCIDENT_COMMANDS)
incident_events = _raw(INCIDENT_EVENTS)
drill_events = _raw(DRILL_EVENTS)
"""The drill host is another program, so the projector parses (and skips a malformed event) itself."""
