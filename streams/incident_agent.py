"""The incident agent (single writer per incident) and the deadline sweep: short loops over streams/writer.py."""

from __future__ import annotations

from collections.abc import Awaitable

import faust

from infra.district import load_organisation
from infra.wire import Envelope
from streams import topics
from streams.app import app, clock, settings
from streams.playbooks_cache import playbook_for
from streams.records import Sendable, envelopes, send, send_tracked
from streams.writer import IncidentWriter, WriterTopics, deadline_checks

incidents = app.Table(topics.INCIDENTS_TABLE, default=None, partitions=settings.partitions)

_ROUTES: dict[str, Sendable] = {
    topics.INCIDENT_EVENTS: topics.incident_events,
    topics.REPORTS_ACCEPTED: topics.reports_accepted,
}


async def publish(topic: str, key: str, message: Envelope) -> Awaitable[object]:
    """Send an envelope on one of the writer's topics, by name; return what completes once it is written."""
    return await send_tracked(_ROUTES[topic], key, message)


writer = IncidentWriter(
    incidents,
    playbook_for,
    clock,
    publish,
    WriterTopics(events=topics.INCIDENT_EVENTS, accepted=topics.REPORTS_ACCEPTED),
    district=load_organisation(settings.district_dir),
)


@app.agent(topics.incident_commands)
async def incident(stream: faust.StreamT[bytes]) -> None:
    """The single writer per incident: apply commands through the domain and emit events."""
    async for _event, command in envelopes(stream, topics.reports_dlq, clock):
        await writer.apply(command)


@app.timer(interval=settings.sweep_interval)  # type: ignore[untyped-decorator]
async def sweep_deadlines() -> None:
    """Ask the writer of each local incident with something due to check its deadlines (never mutate here)."""
    for check in deadline_checks(list(incidents.items()), clock.now()):
        await send(topics.incident_commands, str(check.incident_id), check)
