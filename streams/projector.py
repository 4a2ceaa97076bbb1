"""The projector agent: incident events become the SQL read model."""

from __future__ import annotations

import faust

from infra.db.engine import Database
from infra.db.projection import apply_events
from streams import topics
from streams.app import app, settings
from streams.records import Envelope

_database: Database | None = None


def database() -> Database:
    """The worker's database handle (one engine per process)."""
    global _database
    if _database is None:
        _database = Database(settings.database_url)
    return _database


@app.agent(topics.incident_events)
async def projector(stream: faust.StreamT[Envelope]) -> None:
    """Project incident events into the SQL read model with idempotent upserts."""
    async for batch in stream.take(500, within=0.05):
        await apply_events(database(), [event.asdict() for event in batch])
