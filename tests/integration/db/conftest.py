"""Database fixtures: every repository test runs on SQLite and on PostgreSQL.

PostgreSQL comes from TOCSIN_TEST_POSTGRES_URL (.ci/run starts a private cluster and sets it). Without it
the PostgreSQL cases are skipped, except under CI=true, where they fail: CI must test both.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from infra.db.engine import Database
from infra.db.migrate import upgrade

BACKENDS = (pytest.param("sqlite"), pytest.param("postgresql", marks=pytest.mark.postgres))
"""The PostgreSQL cases are marked `postgres` (`make unit` leaves them out)."""


def postgres_url() -> str:
    """The test PostgreSQL URL; fail (CI) or skip (elsewhere) without one."""
    url = os.environ.get("TOCSIN_TEST_POSTGRES_URL", "")
    if url:
        return url
    message = "TOCSIN_TEST_POSTGRES_URL is not set (.ci/run starts PostgreSQL and sets it)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


async def reset_postgres(url: str) -> None:
    """Drop everything in the public schema, so each test starts from an empty database."""
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
            await conn.execute(text("DROP FUNCTION IF EXISTS tocsin_refuse_change() CASCADE"))
    finally:
        await engine.dispose()


@pytest.fixture(params=BACKENDS)
async def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty database, SQLite or PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'tocsin.db'}"
    url = postgres_url()
    await reset_postgres(url)
    return url


@pytest.fixture
async def db(empty_db_url: str) -> AsyncIterator[Database]:
    """A migrated database."""
    await upgrade(empty_db_url)
    database = Database(empty_db_url)
    try:
        yield database
    finally:
        await database.dispose()
