"""The drill projector agent: drill events (docs/adr/0018) become the `drill_runs` read model.

One event at a time (a run publishes about one every 2 s). An event the read model cannot use is logged and
skipped: the drill host is another program, and one bad message must not stop the worker's incident agents.
A database error stops the worker, as the incident projector's does, so the event is applied on restart.
"""

from __future__ import annotations

import json
from typing import Any

import faust
import structlog

from infra.db.drills import DrillEventInvalid, apply_drill_event
from streams import topics
from streams.app import app
from streams.db import database

log = structlog.get_logger("tocsin.streams.drills")


def decode(raw: bytes | None) -> dict[str, Any]:
    """The event's JSON object; DrillEventInvalid when the bytes are not one."""
    try:
        value = json.loads(raw or b"")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DrillEventInvalid(f"not JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise DrillEventInvalid(f"a drill event is a JSON object, not {type(value).__name__}")
    return value


@app.agent(topics.drill_events)
async def drill_projector(stream: faust.StreamT[bytes]) -> None:
    """Project each drill event into the read model; log and skip one that is malformed."""
    async for event in stream.events():
        where = f"{event.message.topic}:{event.message.partition}:{event.message.offset}"
        try:
            await apply_drill_event(database(), decode(event.value))
        except DrillEventInvalid as exc:
            log.warning("drill_event.skipped", at=where, reason=str(exc))
