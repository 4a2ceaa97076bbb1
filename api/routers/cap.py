"""GET /cap/feed: the Atom feed of published CAP 1.2 alerts (each entry embeds its alert)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from api.access import sees_all_modes
from api.auth import READ_ROLES, CurrentUser, requires
from api.deps import ServicesDep
from api.errors import AUTH, Forbidden, Responses
from infra.channels.cap_feed import exercise_feed, render_atom_feed

router = APIRouter(tags=["CAP"], responses=AUTH)

ATOM: Responses = {
    200: {
        "content": {"application/atom+xml": {"schema": {"type": "string"}}},
        "description": "An Atom 1.0 feed; each entry's content is a CAP 1.2 alert",
    }
}


@router.get("/cap/feed", response_class=Response, responses=ATOM, **requires(*READ_ROLES))
async def cap_feed(
    svc: ServicesDep,
    identity: CurrentUser,
    request: Request,
    feed: Annotated[
        str,
        Query(
            min_length=1, max_length=100, pattern=r"^[a-z0-9_-]+$", description="feed name, e.g. public or restricted"
        ),
    ] = "public",
) -> Response:
    """CAP alerts of a feed, newest first. A user scoped to an exercise gets that exercise's feed only; only a
    district-wide commander may read another exercise's feed (`exercise-<id>`)."""
    if identity.exercise_id is not None:
        name = exercise_feed(identity.exercise_id)
    elif feed.startswith("exercise") and not sees_all_modes(identity):
        raise Forbidden("exercise feeds are for that exercise's users")
    elif feed.startswith("exercise-"):
        name = exercise_feed(feed.removeprefix("exercise-"))
    else:
        name = feed
    alerts = await svc.cap_alerts.alerts(name)
    text = render_atom_feed(
        alerts, f"urn:tocsin:cap:{name}", f"Tocsin CAP alerts: {name}", svc.clock.now(), self_url=str(request.url)
    )
    return Response(text, media_type="application/atom+xml; charset=utf-8")
