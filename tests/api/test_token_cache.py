"""The API's token cache: most requests need no token query, yet revocation takes effect within the TTL.

The cache runs on a timer the tests move by hand, so nothing here sleeps or depends on how fast it runs.
"""

from __future__ import annotations

from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import update

from api.auth import token_cache, use_token_cache
from infra.db import users
from infra.db.auth_models import UserRow
from infra.db.engine import Database
from infra.settings import Settings
from tests.api.conftest import Tokens
from tests.integration.db import seed

TTL = 5.0


class ManualTimer:
    """A monotonic timer that moves only when told to."""

    def __init__(self) -> None:
        self.seconds = 1000.0

    def __call__(self) -> float:
        return self.seconds

    def advance(self, seconds: float) -> None:
        """Let `seconds` pass."""
        self.seconds += seconds


def cache_on_manual_timer(app: FastAPI) -> ManualTimer:
    """Put a token cache of TTL seconds on a hand-moved timer in front of the running app's database."""
    timer = ManualTimer()
    use_token_cache(app.state.services.db, users.TokenCache(TTL, timer=timer))
    return timer


async def test_a_revoked_token_is_refused_once_the_ttl_has_passed(
    app: FastAPI, client: httpx.AsyncClient, db: Database, tokens: Tokens
) -> None:
    timer = cache_on_manual_timer(app)
    headers = tokens.role("duty_officer")
    assert (await client.get("/api/v1/incidents", headers=headers)).status_code == 200
    await users.revoke_tokens(db, "duty", now=seed.T0)
    timer.advance(TTL - 0.5)
    assert (await client.get("/api/v1/incidents", headers=headers)).status_code == 200  # still within the TTL
    timer.advance(0.5)
    reply = await client.get("/api/v1/incidents", headers=headers)
    assert reply.status_code == 401
    assert "revoked" in reply.json()["detail"]


async def test_a_deactivated_user_is_refused_once_the_ttl_has_passed(
    app: FastAPI, client: httpx.AsyncClient, db: Database, tokens: Tokens
) -> None:
    timer = cache_on_manual_timer(app)
    assert (await client.get("/api/v1/whoami", headers=tokens.headers("watcher"))).status_code == 200
    async with db.session() as session, session.begin():
        await session.execute(update(UserRow).where(UserRow.name == "watcher").values(active=False))
    timer.advance(TTL)
    assert (await client.get("/api/v1/whoami", headers=tokens.headers("watcher"))).status_code == 401


async def test_the_app_makes_its_cache_with_the_configured_ttl(app: FastAPI, settings: Settings) -> None:
    cache = token_cache(app.state.services.db, settings.token_cache_seconds)
    assert cache.ttl == settings.token_cache_seconds
    assert token_cache(app.state.services.db, 99) is cache  # one cache per database handle, made once


async def test_expiry_is_checked_on_every_use_even_when_cached(db: Database, tokens: Tokens) -> None:
    token = await users.issue_token(db, "duty", now=seed.T0, expires_at=seed.T0 + timedelta(hours=1))
    cache = users.TokenCache(3600, timer=ManualTimer())
    assert await cache.authenticate(db, token, now=seed.T0) is not None
    assert len(cache) == 1
    assert await cache.authenticate(db, token, now=seed.T0 + timedelta(hours=1)) is None
    assert len(cache) == 0


async def test_a_refusal_is_not_cached(db: Database, tokens: Tokens) -> None:
    token = tokens.by_user["watcher"]
    cache = users.TokenCache(TTL, timer=ManualTimer())
    async with db.session() as session, session.begin():
        await session.execute(update(UserRow).where(UserRow.name == "watcher").values(active=False))
    assert await cache.authenticate(db, token, now=seed.T0) is None
    async with db.session() as session, session.begin():
        await session.execute(update(UserRow).where(UserRow.name == "watcher").values(active=True))
    identity = await cache.authenticate(db, token, now=seed.T0)  # the timer has not moved: a fresh lookup
    assert identity is not None
    assert identity.name == "watcher"


async def test_the_cache_holds_the_tokens_hash_never_the_token(db: Database, tokens: Tokens) -> None:
    token = tokens.by_user["duty"]
    cache = users.TokenCache(TTL, timer=ManualTimer())
    await cache.authenticate(db, token, now=seed.T0)
    assert len(cache) == 1
    held = repr(cache._grants)
    assert users.hash_token(token) in held
    assert token not in held
    assert token.removeprefix(users.TOKEN_PREFIX) not in held


async def test_a_malformed_token_is_refused_without_a_lookup(db: Database) -> None:
    cache = users.TokenCache(TTL, timer=ManualTimer())
    assert await cache.authenticate(db, "not-a-tocsin-token", now=seed.T0) is None
    assert await cache.authenticate(db, users.TOKEN_PREFIX + "x" * 300, now=seed.T0) is None
    assert len(cache) == 0
