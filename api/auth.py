"""Authentication (opaque bearer tokens, docs/adr/0010) and role checks that each route declares."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any
from weakref import WeakKeyDictionary

import structlog
from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.deps import services
from api.errors import Forbidden, Unauthorized
from infra.db.engine import Database
from infra.db.users import Identity, TokenCache

__all__ = ["CurrentUser", "Identity", "current_identity", "requires", "token_cache", "use_token_cache"]

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    bearerFormat="opaque (tocsin_...)",
    description="An API token: `tocsin user add NAME --role ROLE`, then `tocsin token issue NAME`.",
)


_token_caches: WeakKeyDictionary[Database, TokenCache] = WeakKeyDictionary()
"""The token cache of each database handle: one per app lifespan (and so per process), dropped with it."""


def token_cache(db: Database, ttl: float) -> TokenCache:
    """The token cache in front of `db` (made with `ttl` seconds, TOCSIN_TOKEN_CACHE_SECONDS, on first use)."""
    cache = _token_caches.get(db)
    if cache is None:
        cache = _token_caches[db] = TokenCache(ttl)
    return cache


def use_token_cache(db: Database, cache: TokenCache) -> None:
    """Put `cache` in front of `db` instead of the one made from the settings (e.g. one on a clock of your own)."""
    _token_caches[db] = cache


async def current_identity(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
) -> Identity:
    """The caller behind the bearer token (looked up at most every TOCSIN_TOKEN_CACHE_SECONDS); 401 when there is
    none or it is not valid."""
    if credentials is None:
        raise Unauthorized(
            "this endpoint needs a bearer token: send `Authorization: Bearer <token>` "
            "(issue one with `tocsin token issue USER`)"
        )
    svc = services(request)  # a plain call: sync dependencies would each cost a hop through the thread pool
    cache = token_cache(svc.db, svc.settings.token_cache_seconds)
    identity = await cache.authenticate(svc.db, credentials.credentials, now=svc.clock.now())
    if identity is None:
        raise Unauthorized("the bearer token is unknown, expired or revoked")
    request.state.identity = identity
    structlog.contextvars.bind_contextvars(user=identity.name)
    return identity


CurrentUser = Annotated[Identity, Depends(current_identity)]


def requires(*roles: str) -> dict[str, Any]:
    """Route keyword arguments: a dependency that admits only callers holding one of `roles`, and the
    roles listed in the OpenAPI document (`x-required-roles`) so /docs shows who may call what."""

    async def check(identity: CurrentUser) -> Identity:
        if not identity.has(*roles):
            raise Forbidden(
                f"this needs the role {' or '.join(roles)}; "
                f"{identity.name} has {', '.join(identity.roles) or 'no role'}"
            )
        return identity

    dependency: Callable[..., Awaitable[Identity]] = check
    return {"dependencies": [Depends(dependency)], "openapi_extra": {"x-required-roles": list(roles)}}


READ_ROLES = (
    "duty_officer",
    "commander",
    "unit_responder",
    "drill_controller",
    "observer",
    "publicity",
    "evaluator",
)
"""Every role may read (what they read is narrowed by their unit and exercise)."""
