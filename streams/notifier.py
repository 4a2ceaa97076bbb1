"""The notifier agent: planned steps and escalations become messages to whoever is on duty.

A short loop over `incident-events`; the delivery logic (roster, Dispatcher, the in-doubt and replay rules of
docs/adr/0016, the RecordDelivery command) is in streams/delivery.py.
"""

from __future__ import annotations

from functools import cache, partial

import faust
import httpx

from infra.db.retry import retry_while_database_down
from infra.wire import Envelope
from streams import topics
from streams.app import app, clock, settings
from streams.db import database
from streams.delivery import Notifier, build_notifier
from streams.records import envelopes, send


async def _to_writer(incident_id: str, command: Envelope) -> None:
    """Send a command to the incident's writer."""
    await send(topics.incident_commands, incident_id, command)


@cache
def notifier() -> Notifier:
    """The worker's notifier, built on first use (inside the worker's event loop)."""
    return build_notifier(settings, database(), clock, httpx.AsyncClient(timeout=10), _to_writer)


@app.agent(topics.incident_events, concurrency=64)
async def notify(stream: faust.StreamT[bytes]) -> None:
    """Deliver the pages of planned steps and escalations and record every outcome.

    Many events are in flight at once, so their pages meet in the channel scheduler, most urgent first.
    """
    async for _event, event in envelopes(stream, topics.reports_dlq, clock):
        # a database outage is waited out on the event (not committed): a crash here let faust commit past it
        await retry_while_database_down(partial(notifier().process, event), what="notifier")
