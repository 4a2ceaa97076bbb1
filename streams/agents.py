"""Intake agents: validate raw reports (bad ones to the dead-letter topic) and correlate them into incidents.

Each agent is a short loop over its topic; the decisions are in streams/intake.py and streams/correlation.py.
"""

from __future__ import annotations

from datetime import timedelta

import faust
import structlog

from infra.wire.report import ReportRejected
from streams import topics
from streams.app import app, clock, settings
from streams.correlation import Correlator
from streams.intake import Destination, Rejected, take_in
from streams.playbooks_cache import library
from streams.records import envelopes, letter_for, raw_of, send, send_dead_letter, where

log = structlog.get_logger("tocsin.streams")

correlations = app.Table(topics.CORRELATIONS_TABLE, default=None, partitions=settings.partitions)
correlator = Correlator(correlations, timedelta(hours=settings.correlation_window_hours))

ROUTES = {
    Destination.INCIDENT_COMMANDS: topics.incident_commands,
    Destination.REPORTS_ACCEPTED: topics.reports_accepted,
}


@app.agent(topics.reports)
async def intake(stream: faust.StreamT[bytes]) -> None:
    """Validate raw reports: bad ones go to the dead-letter topic with the reason, good ones on to correlation."""
    async for event in stream.events():
        at = where(event)
        outcome = take_in(raw_of(event), source=at, library=library(), now=clock.now())
        if isinstance(outcome, Rejected):
            await send_dead_letter(topics.reports_dlq, letter_for(event, outcome.reason, clock))
            log.warning("report.rejected", reason=outcome.reason, at=at)
            continue
        await send(ROUTES[outcome.destination], outcome.key, outcome.message)
        log.info("report.accepted", report_id=outcome.report_id, at=at)


@app.agent(topics.reports_accepted)
async def correlate(stream: faust.StreamT[bytes]) -> None:
    """Join a report to the open incident at the same place within the window, or open a new one."""
    async for event, message in envelopes(stream, topics.reports_dlq, clock):
        try:
            command = correlator.handle(message)
        except ReportRejected as exc:
            await send_dead_letter(topics.reports_dlq, letter_for(event, exc.reason, clock))
            log.warning("correlation.rejected", reason=exc.reason, at=where(event))
            continue
        if command is not None:
            await send(topics.incident_commands, str(command.incident_id), command)
