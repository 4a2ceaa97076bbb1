"""GET /events/stream: Server-Sent Events of incident events, filtered by the caller's rights."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query
from fastapi.responses import StreamingResponse

from api import events
from api.auth import READ_ROLES, CurrentUser, requires
from api.deps import SettingsDep
from api.errors import AUTH, ApiError, Responses
from infra.wire import EventType

router = APIRouter(tags=["live feed"], responses=AUTH)

STREAM: Responses = {
    200: {
        "content": {
            "text/event-stream": {
                "schema": {"type": "string"},
                "example": (
                    f"id: 0:18,1:4,2:9\nevent: {EventType.LEVEL_CHANGED}\n"
                    f'data: {{"type":"{EventType.LEVEL_CHANGED}","incident_id":"inc-1",...}}\n\n'
                ),
            }
        },
        "description": "An endless stream of events; reconnect with Last-Event-ID to resume",
    },
}


@router.get("/events/stream", response_class=StreamingResponse, responses=STREAM, **requires(*READ_ROLES))
async def stream(
    identity: CurrentUser,
    settings: SettingsDep,
    last_event_id: Annotated[str | None, Header(max_length=20_000, description="resume after this event")] = None,
    resume: Annotated[
        str | None, Query(max_length=20_000, description="same as Last-Event-ID, for clients that cannot set headers")
    ] = None,
    max_events: Annotated[int | None, Query(ge=1, le=100_000, description="close after this many events")] = None,
) -> StreamingResponse:
    """Incident events as they happen (from Kafka), only those the caller may see. Each event's `id` is a
    position in the feed; reconnecting with `Last-Event-ID` resumes without gaps or repeats."""
    given = last_event_id or resume
    try:
        start = events.decode_position(given) if given else None
    except events.BadPosition as exc:
        raise ApiError(str(exc)) from exc
    items = events.tail(settings.kafka_bootstrap, settings.topic("incident-events"), start)
    return StreamingResponse(
        events.frames(items, identity, max_events=max_events),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
