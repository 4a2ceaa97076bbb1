"""PostgreSQL still starting (or a connection dropped mid-query) is 503 like PostgreSQL stopped, never 500.

The crash matrix (bench/faults.py, postgres-down) met it: right after `pg_ctl start`, asyncpg answers "the database
system is not yet accepting connections", which SQLAlchemy wraps in a plain DBAPIError, not an OperationalError.
"""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy.exc import DBAPIError

from api.app import _install_handlers


class StartingUp(Exception):
    """asyncpg's error while the server is not yet accepting connections."""


def app_raising(error: Exception) -> FastAPI:
    """An app with the API's error handlers and one route that raises `error`."""
    app = FastAPI()
    _install_handlers(app)

    @app.get("/boom")
    async def boom() -> None:
        raise error

    return app


async def answer(error: Exception) -> httpx.Response:
    """What the route answers."""
    transport = httpx.ASGITransport(app=app_raising(error), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.get("/boom")


async def test_a_database_not_yet_accepting_connections_is_503() -> None:
    starting = DBAPIError("SELECT 1", {}, StartingUp("the database system is not yet accepting connections"))
    reply = await answer(starting)
    assert reply.status_code == 503
    assert reply.json()["detail"] == "the database is unavailable; try again shortly"


async def test_any_other_error_is_still_500() -> None:
    assert (await answer(ValueError("a bug"))).status_code == 500
