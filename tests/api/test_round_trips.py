"""SQL statements per read: `GET /incidents/{id}` is one statement once the caller's token is cached.

Counts what reaches the database driver (an SQLAlchemy event listener on the app's engine): a behaviour
of the code, not a timing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event

from api.auth import use_token_cache
from infra.db import users
from infra.db.engine import Database
from infra.wire import EventType
from tests.api import world
from tests.api.conftest import Tokens
from tests.integration.db import seed


class Statements:
    """SQL statements the app's engine sent while counting."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    def __len__(self) -> int:
        return len(self.sent)


@contextmanager
def counting(app: FastAPI) -> Iterator[Statements]:
    """Count the statements the running app sends to its database inside the block."""
    engine = app.state.services.db.engine.sync_engine
    statements = Statements()

    def sent(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.sent.append(statement)

    event.listen(engine, "before_cursor_execute", sent)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", sent)


@pytest.fixture
async def w(app: FastAPI, db: Database) -> world.World:
    """The small world, with a verified-facts event on the actual incident; a long-lived token cache on the app."""
    use_token_cache(app.state.services.db, users.TokenCache(3600))
    built = await world.build(db)
    verified = {"facts": {"cases": 98}, "by": "duty", "reason": "lists reconciled", "at": seed.T0.isoformat()}
    await seed.add(db, seed.event(built.actual, 4, EventType.FACTS_VERIFIED, verified))
    return built


async def test_one_incident_is_one_statement_with_a_cached_token(
    app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, w: world.World
) -> None:
    headers = tokens.role("observer")
    with counting(app) as cold:
        first = await client.get(f"/api/v1/incidents/{w.actual}", headers=headers)
    with counting(app) as warm:
        again = await client.get(f"/api/v1/incidents/{w.actual}", headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert len(again.json()["level_history"]) == 1
    assert again.json()["verified"]["reason"] == "lists reconciled"
    assert len(cold) == 2, cold.sent  # the token lookup, then the incident
    assert len(warm) == 1, warm.sent


async def test_an_incident_without_level_changes_or_verified_facts_is_one_statement(
    app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, w: world.World
) -> None:
    headers = tokens.role("duty_officer")
    await client.get("/api/v1/whoami", headers=headers)  # warms the token cache
    with counting(app) as warm:
        reply = await client.get(f"/api/v1/incidents/{w.quiet}", headers=headers)
    assert reply.status_code == 200
    assert (reply.json()["level_history"], reply.json()["verified"]) == ([], None)
    assert reply.json()["aggregated_facts"] == {"cases": 35}  # without verified facts, the aggregated ones
    assert len(warm) == 1, warm.sent


@pytest.mark.parametrize(("role", "incident"), [("observer", "inc-drill"), ("commander", "inc-nope")])
async def test_an_unseen_incident_is_a_404_in_one_statement(
    app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, w: world.World, role: str, incident: str
) -> None:
    headers = tokens.role(role)
    await client.get("/api/v1/whoami", headers=headers)
    with counting(app) as warm:
        reply = await client.get(f"/api/v1/incidents/{incident}", headers=headers)
    assert reply.status_code == 404
    assert incident in reply.json()["detail"]
    assert len(warm) == 1, warm.sent


async def test_a_unit_responder_reads_only_incidents_of_its_unit_in_one_statement(
    app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, w: world.World
) -> None:
    headers = tokens.role("unit_responder")
    await client.get("/api/v1/whoami", headers=headers)
    with counting(app) as warm:
        own = await client.get(f"/api/v1/incidents/{w.actual}", headers=headers)
        other = await client.get(f"/api/v1/incidents/{w.quiet}", headers=headers)
    assert (own.status_code, other.status_code) == (200, 404)
    assert len(warm) == 2, warm.sent


async def test_the_incident_list_is_one_statement_with_a_cached_token(
    app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, w: world.World
) -> None:
    headers = tokens.role("observer")
    await client.get("/api/v1/whoami", headers=headers)
    with counting(app) as warm:
        reply = await client.get("/api/v1/incidents", headers=headers)
    assert reply.status_code == 200
    assert len(warm) == 1, warm.sent
