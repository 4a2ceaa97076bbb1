"""Migrations: a fresh database upgrades to exactly the models' schema, and start-up can tell when it did not."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

import infra.db.auth_models  # noqa: F401 - the API's tables are part of the schema
from infra.db import migrate
from infra.db.engine import Database
from infra.db.models import Base
from tests.integration.db import seed


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_migrated_schema_is_exactly_the_models(empty_db_url: str) -> None:
    await migrate.upgrade(empty_db_url)
    db = Database(empty_db_url)
    try:
        async with db.engine.connect() as conn:
            diff = await conn.run_sync(_diff)
    finally:
        await db.dispose()
    assert diff == [], (
        "infra/db/models.py (or auth_models.py) changed without a migration; add one with "
        "`tocsin db revision 'what changed'` (see docs/adr/0011). Differences: "
        f"{diff}"
    )


async def test_a_fresh_database_is_not_up_to_date_until_upgraded(empty_db_url: str) -> None:
    assert await migrate.current_revision(empty_db_url) is None
    assert not await migrate.is_up_to_date(empty_db_url)
    with pytest.raises(migrate.SchemaNotMigrated, match="tocsin db upgrade"):
        await migrate.check_migrated(empty_db_url)
    assert await migrate.upgrade(empty_db_url) == migrate.head_revision()
    assert await migrate.is_up_to_date(empty_db_url)
    await migrate.check_migrated(empty_db_url)


async def test_upgrading_twice_changes_nothing(empty_db_url: str) -> None:
    first = await migrate.upgrade(empty_db_url)
    assert await migrate.upgrade(empty_db_url) == first


async def test_the_refusal_hides_the_password() -> None:
    url = "postgresql+asyncpg://tocsin:s3cret@db.example/tocsin"
    assert "s3cret" not in migrate.safe_url(url)


async def test_the_audit_trail_refuses_updates_and_deletes(db: Database) -> None:
    await seed.add(db)
    async with db.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO audit_log (at, actor, roles, unit, ip, request_id, command_id, command_type, topic, "
                "incident_id, mode, exercise_id, payload, outcome, detail) VALUES (:at, 'li', '[]', NULL, NULL, NULL, "
                "'c-1', 'AddNote', 't', NULL, 'actual', NULL, '{}', 'published', '')"
            ),
            {"at": seed.T0},
        )
    for statement in ("UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"):
            async with db.engine.begin() as conn:
                await conn.execute(text(statement))
    async with db.engine.connect() as conn:
        assert (await conn.execute(text("SELECT actor FROM audit_log"))).scalar_one() == "li"


async def test_concurrent_upgrades_in_one_process_do_not_collide(tmp_path: Path) -> None:
    urls = [f"sqlite+aiosqlite:///{tmp_path / f'db{n}.db'}" for n in range(3)]
    revisions = await asyncio.gather(*(migrate.upgrade(url) for url in urls))
    assert revisions == [migrate.head_revision()] * 3
