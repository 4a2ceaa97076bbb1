"""The projector agent: incident events become the SQL read model."""

from __future__ import annotations

import functools

import faust
import structlog

from infra.db.projection import apply_events
from infra.db.retry import retry_while_database_down
from infra.wire import Envelope, WireError
from streams import topics
from streams.app import app
from streams.db import database

log = structlog.get_logger("tocsin.projector")


@app.agent(topics.incident_events)
async def projector(stream: faust.StreamT[bytes]) -> None:
    """Project incident events into the read model by idempotent upserts; wait out a database outage on the batch."""
    async for batch in stream.take(500, within=0.05):
        events = [message.to_dict() for message in decoded(batch)]
        await retry_while_database_down(functools.partial(apply_events, database(), events), what="projector")


def decoded(batch: list[bytes]) -> list[Envelope]:
    """The batch's envelopes; one that does not decode is logged and left out (the notifier dead-letters it)."""
    messages = []
    for raw in batch:
        try:
            messages.append(Envelope.from_json(raw))
        except WireError as exc:
            log.warning("projector.skipped", reason=str(exc))
    return messages
