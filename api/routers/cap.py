"""GET /cap/feed: the Atom feed of published CAP 1.2 alerts (each entry embeds its alert).

The public feed is public: it needs no token and holds only approved (published), actual, public alerts
(DESIGN.md invariant 9; the notifier publishes a bulletin only once a person approved it). Every other feed —
restricted ones, and an exercise's own feed — needs a token with a role that may read it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, Security
from fastapi.security import HTTPAuthorizationCredentials

from api.access import sees_all_modes
from api.auth import READ_ROLES, bearer, current_identity
from api.deps import ServicesDep
from api.errors import AUTH, Forbidden, Responses, Unauthorized
from infra.channels import CapAlert
from infra.channels.cap_feed import exercise_feed, render_atom_feed
from infra.db.users import Identity

router = APIRouter(tags=["CAP"], responses=AUTH)

PUBLIC = "public"
ATOM: Responses = {
    200: {
        "content": {"application/atom+xml": {"schema": {"type": "string"}}},
        "description": "An Atom 1.0 feed; each entry's content is a CAP 1.2 alert",
    }
}


async def optional_identity(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)]
) -> Identity | None:
    """The caller behind a bearer token, or None when there is no token (a token that is not valid is a 401)."""
    return None if credentials is None else await current_identity(request, credentials)


def _public(alerts: list[CapAlert]) -> list[CapAlert]:
    """Only what the public may read: actual alerts with scope Public (defence in depth behind the notifier)."""
    return [a for a in alerts if a.status == "Actual" and a.scope == "Public"]


def _feed_name(identity: Identity | None, feed: str) -> str:
    """The stored feed the caller reads: anyone the public feed; a reader with a role the others."""
    if identity is None:
        if feed != PUBLIC:
            raise Unauthorized(f"the {feed!r} feed needs a bearer token; only the public feed is open to everyone")
        return PUBLIC
    if not identity.has(*READ_ROLES):
        raise Forbidden(f"this needs the role {' or '.join(READ_ROLES)}; {identity.name} has no reading role")
    if identity.exercise_id is not None:
        return exercise_feed(identity.exercise_id)
    if feed.startswith("exercise") and not sees_all_modes(identity):
        raise Forbidden("exercise feeds are for that exercise's users")
    if feed.startswith("exercise-"):
        return exercise_feed(feed.removeprefix("exercise-"))
    return feed


@router.get("/cap/feed", response_class=Response, responses=ATOM, openapi_extra={"x-required-roles": []})
async def cap_feed(
    svc: ServicesDep,
    request: Request,
    identity: Annotated[Identity | None, Security(optional_identity)],
    feed: Annotated[
        str,
        Query(
            min_length=1, max_length=100, pattern=r"^[a-z0-9_-]+$", description="feed name, e.g. public or restricted"
        ),
    ] = PUBLIC,
) -> Response:
    """CAP alerts of a feed, newest first. `public` (the default) needs no token and holds only published, actual,
    public alerts. Other feeds need a token: a user scoped to an exercise gets that exercise's feed only; only a
    district-wide commander may read another exercise's feed (`exercise-<id>`)."""
    name = _feed_name(identity, feed)
    alerts = list(await svc.cap_alerts.alerts(name))
    if name == PUBLIC:
        alerts = _public(alerts)
    text = render_atom_feed(
        alerts, f"urn:tocsin:cap:{name}", f"Tocsin CAP alerts: {name}", svc.clock.now(), self_url=str(request.url)
    )
    return Response(text, media_type="application/atom+xml; charset=utf-8")
