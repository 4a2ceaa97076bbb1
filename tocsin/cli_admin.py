"""Administration: `tocsin user add`, `tocsin token issue|revoke`, `tocsin db upgrade|current`."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, TypeVar

import typer

from infra.db import migrate, users
from infra.db.engine import Database
from infra.settings import Settings

T = TypeVar("T")

user_app = typer.Typer(no_args_is_help=True, help="Users of the API and their roles.")
token_app = typer.Typer(no_args_is_help=True, help="API tokens (opaque bearer tokens, stored hashed).")

_DURATION = re.compile(r"^(\d+)\s*([dhm])$")


def register(app: typer.Typer, db_app: typer.Typer) -> None:
    """Add `user`, `token` and the `db upgrade|current` commands."""
    app.add_typer(user_app, name="user")
    app.add_typer(token_app, name="token")
    db_app.command("upgrade")(db_upgrade)
    db_app.command("current")(db_current)
    db_app.command("revision")(db_revision)


def _with_db(work: Callable[[Database], Awaitable[T]]) -> T:
    """Run `work` against the configured database, after checking its schema is current."""
    settings = Settings()

    async def go() -> T:
        await migrate.check_migrated(settings.database_url)
        db = Database(settings.database_url)
        try:
            return await work(db)
        finally:
            await db.dispose()

    try:
        return asyncio.run(go())
    except (users.UserError, migrate.SchemaNotMigrated) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc


def parse_expiry(text: str, now: datetime) -> datetime:
    """'90d', '12h' or '30m' from now, or an ISO-8601 time with offset."""
    match = _DURATION.match(text.strip())
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        units = {"d": "days", "h": "hours", "m": "minutes"}
        return now + timedelta(**{units[unit]: amount})
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise typer.BadParameter("give an offset (e.g. 2027-01-01T00:00+08:00) or a duration like 90d")
    return moment


def user_add(
    name: Annotated[str, typer.Argument(help="login name")],
    role: Annotated[list[str], typer.Option("--role", "-r", help=f"one of {', '.join(users.ROLES)}; repeatable")],
    unit: Annotated[str | None, typer.Option(help="the unit a unit_responder acts for")] = None,
    exercise: Annotated[str | None, typer.Option(help="limit the user to this exercise's data")] = None,
) -> None:
    """Add a user with roles (and their unit or exercise)."""
    identity = _with_db(
        lambda db: users.add_user(db, name, roles=role, unit=unit, exercise_id=exercise, now=datetime.now(UTC))
    )
    scope = f" unit={identity.unit}" if identity.unit else ""
    scope += f" exercise={identity.exercise_id}" if identity.exercise_id else ""
    typer.echo(f"added user {identity.name}: {', '.join(identity.roles)}{scope}")


def user_list() -> None:
    """List users with their roles and scope."""
    for row in _with_db(users.list_users):
        typer.echo(
            f"{row.name}\t{','.join(row.roles)}\tunit={row.unit or '-'}\texercise={row.exercise_id or '-'}"
            f"\t{'active' if row.active else 'inactive'}"
        )


def token_issue(
    user: Annotated[str, typer.Argument(help="the user the token acts as")],
    expires: Annotated[str | None, typer.Option(help="e.g. 90d, 12h, or an ISO-8601 time; default: never")] = None,
    label: Annotated[str, typer.Option(help="what the token is for, e.g. 'grafana scraper'")] = "",
) -> None:
    """Issue a token and print it once (only its hash is stored)."""
    now = datetime.now(UTC)
    expires_at = parse_expiry(expires, now) if expires else None
    token = _with_db(lambda db: users.issue_token(db, user, now=now, expires_at=expires_at, label=label))
    typer.echo(token)


def token_revoke(user: Annotated[str, typer.Argument(help="revoke every token of this user")]) -> None:
    """Revoke every token of a user."""
    count = _with_db(lambda db: users.revoke_tokens(db, user, now=datetime.now(UTC)))
    typer.echo(f"revoked {count} token(s) of {user}")


def db_upgrade() -> None:
    """Apply the schema migrations to TOCSIN_DATABASE_URL (idempotent)."""
    settings = Settings()
    revision = asyncio.run(migrate.upgrade(settings.database_url))
    typer.echo(f"database {migrate.safe_url(settings.database_url)} is at revision {revision}")


def db_current() -> None:
    """Show the schema revision of the database and whether it is up to date."""
    settings = Settings()
    current = asyncio.run(migrate.current_revision(settings.database_url))
    head = migrate.head_revision()
    state = "up to date" if current == head else f"needs `tocsin db upgrade` (to {head})"
    typer.echo(f"{migrate.safe_url(settings.database_url)}: revision {current or 'none'}, {state}")
    if current != head:
        raise typer.Exit(1)


def db_revision(message: Annotated[str, typer.Argument(help="what changed, e.g. 'incidents: add closed_at'")]) -> None:
    """(Developers) write a migration for model changes the newest revision lacks; review it before committing."""
    path = asyncio.run(migrate.new_revision(message))
    typer.echo(f"wrote {path}" if path else "no changes")


user_app.command("add")(user_add)
user_app.command("list")(user_list)
token_app.command("issue")(token_issue)
token_app.command("revoke")(token_revoke)


# -- helpers of `tocsin run` (the local demo platform) ----------------------------------------------------

OPERATOR = "operator"
"""The local user `tocsin run` creates: it posts the sample and is handed to the person at the keyboard."""


def operator_token(settings: Settings, *, hours: int = 24) -> str:
    """Ensure the local `operator` user (duty officer and commander) exists and issue it a short-lived token."""

    async def go() -> str:
        db = Database(settings.database_url)
        try:
            now = datetime.now(UTC)
            if await users.get_user(db, OPERATOR) is None:
                await users.add_user(db, OPERATOR, roles=("duty_officer", "commander"), now=now)
            return await users.issue_token(
                db, OPERATOR, now=now, expires_at=now + timedelta(hours=hours), label="tocsin run"
            )
        finally:
            await db.dispose()

    return asyncio.run(go())
