"""Alembic, configured in code (no alembic.ini): upgrade a database and tell whether it is up to date.

Every function is async and runs Alembic on a connection of an async engine, so the same code serves the
CLI (`tocsin db upgrade`), the API's start-up check and the tests, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import weakref
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import create_async_engine

from infra.db.engine import Database

__all__ = [
    "MIGRATIONS_DIR",
    "SchemaNotMigrated",
    "alembic_config",
    "check_migrated",
    "current_revision",
    "head_revision",
    "is_up_to_date",
    "safe_url",
    "upgrade",
]

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


class SchemaNotMigrated(RuntimeError):
    """The database's schema is not at the revision this code needs; the message says what to run."""


def safe_url(url: str) -> str:
    """The URL with its password hidden, for messages and logs."""
    return make_url(url).render_as_string(hide_password=True)


def alembic_config(url: str, connection: Connection | None = None) -> Config:
    """An Alembic config for `url`; with `connection`, migrations run on that connection."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest revision of the migration scripts."""
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    if head is None:
        raise RuntimeError(f"no migration scripts in {MIGRATIONS_DIR}")
    return head


async def _on_connection(url: str, work: Any) -> Any:
    """Run the sync callable `work(connection)` in a transaction on an async engine for `url`."""
    db = Database(url)  # same engine options (SQLite pragmas, directory creation) as the platform
    try:
        async with db.engine.begin() as conn:
            return await conn.run_sync(work)
    finally:
        await db.dispose()


_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()


def _alembic_lock() -> asyncio.Lock:
    """One Alembic command at a time per event loop: Alembic's `context` is a module-global proxy, and two
    commands interleaving on one loop (their SQL awaits switch greenlets) would tear it down under each other."""
    loop = asyncio.get_running_loop()
    if loop not in _locks:
        _locks[loop] = asyncio.Lock()
    return _locks[loop]


async def upgrade(url: str, revision: str = "head") -> str | None:
    """Migrate the database at `url` to `revision` (default: the newest); return the revision it is at."""

    def work(connection: Connection) -> str | None:
        command.upgrade(alembic_config(url, connection), revision)
        return MigrationContext.configure(connection).get_current_revision()

    async with _alembic_lock():
        result: str | None = await _on_connection(url, work)
    return result


async def current_revision(url: str) -> str | None:
    """The revision the database is at, or None when it was never migrated."""

    def work(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            result: str | None = await conn.run_sync(work)
            return result
    finally:
        await engine.dispose()


async def is_up_to_date(url: str) -> bool:
    """True when the database is at the newest revision."""
    return await current_revision(url) == head_revision()


async def check_migrated(url: str) -> None:
    """Raise SchemaNotMigrated, saying what to do, unless the database is at the newest revision."""
    current = await current_revision(url)
    head = head_revision()
    if current == head:
        return
    where = safe_url(url)
    if current is None:
        raise SchemaNotMigrated(
            f"the database {where} has no Tocsin schema (it was never migrated); run `tocsin db upgrade` first"
        )
    raise SchemaNotMigrated(
        f"the database {where} is at schema revision {current}, this version of Tocsin needs {head}; "
        "run `tocsin db upgrade` first"
    )


async def new_revision(message: str, *, rev_id: str | None = None) -> str:
    """Write a migration script for what the models have that the newest revision lacks (autogenerate).

    It compares against a scratch SQLite database migrated to head; review the script (and check it on
    PostgreSQL: the database tests run both) before committing. Returns the new script's path.
    """
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite+aiosqlite:///{scratch}/scratch.db"
        await upgrade(url)

        def work(connection: Connection) -> str:
            from alembic.autogenerate import compare_metadata

            import infra.db.auth_models  # noqa: F401 - the API's tables are part of the schema
            from infra.db.models import Base

            context = MigrationContext.configure(connection, opts={"compare_type": True})
            if not compare_metadata(context, Base.metadata):
                return ""
            script = command.revision(
                alembic_config(url, connection), message=message, autogenerate=True, rev_id=rev_id or _next_rev_id()
            )
            scripts = script if isinstance(script, list) else [script]
            return str(scripts[0].path) if scripts and scripts[0] is not None else ""

        async with _alembic_lock():
            path: str = await _on_connection(url, work)
        return path


def _next_rev_id() -> str:
    """Sequential revision ids: 0001, 0002, ..."""
    head = head_revision()
    return f"{int(head) + 1:04d}" if head.isdigit() else "0002"


async def upgrade_shared(url: str, *, attempts: int = 5, pause: float = 1.0) -> str | None:
    """`upgrade` for processes that start together on one database: a lost race is retried, then accepted
    once another process has brought the schema to the newest revision."""
    for attempt in range(1, attempts + 1):
        try:
            return await upgrade(url)
        except Exception:
            if await is_up_to_date(url):
                return head_revision()
            if attempt == attempts:
                raise
            await asyncio.sleep(pause * attempt)
    return None
