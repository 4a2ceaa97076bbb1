"""Users and their API tokens: add a user, issue an opaque token (stored as its SHA-256), authenticate."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from infra.db.auth_models import ApiTokenRow, UserRow
from infra.db.engine import Database

__all__ = [
    "ROLES",
    "TOKEN_PREFIX",
    "Identity",
    "UserError",
    "add_user",
    "authenticate",
    "get_user",
    "hash_token",
    "issue_token",
    "list_users",
    "revoke_tokens",
]

ROLES = ("duty_officer", "commander", "unit_responder", "drill_controller", "observer")
"""The roles a user can hold (docs/api.md has what each may do)."""
TOKEN_PREFIX = "tocsin_"
"""Every token starts with this, so a leaked one is easy to recognise (e.g. by secret scanners)."""


class UserError(ValueError):
    """A user or token request that cannot be carried out; the message says why."""


@dataclass(frozen=True)
class Identity:
    """Who is calling: name, roles, and the unit and exercise their rights are limited to."""

    name: str
    roles: tuple[str, ...]
    unit: str | None = None
    exercise_id: str | None = None

    def has(self, *roles: str) -> bool:
        """True when the caller holds any of `roles`."""
        return any(r in self.roles for r in roles)


def hash_token(token: str) -> str:
    """The stored form of a token: hex SHA-256 (tokens are 256-bit random, so no salt or stretching is needed)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _check_roles(roles: Iterable[str], unit: str | None, exercise_id: str | None) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(roles))
    if not chosen:
        raise UserError("a user needs at least one role")
    unknown = [r for r in chosen if r not in ROLES]
    if unknown:
        raise UserError(f"unknown role(s) {', '.join(unknown)}; choose from {', '.join(ROLES)}")
    if "unit_responder" in chosen and not unit:
        raise UserError("a unit_responder must belong to a unit (--unit)")
    if "drill_controller" in chosen and not exercise_id:
        raise UserError("a drill_controller controls one exercise (--exercise)")
    return chosen


async def add_user(
    db: Database,
    name: str,
    *,
    roles: Iterable[str],
    now: datetime,
    unit: str | None = None,
    exercise_id: str | None = None,
) -> Identity:
    """Create a user; raise UserError when the name is taken or the roles do not fit."""
    name = name.strip()
    if not name or len(name) > 120:
        raise UserError("a user name is 1 to 120 characters")
    chosen = _check_roles(roles, unit, exercise_id)
    async with db.session() as session, session.begin():
        if await session.get(UserRow, name) is not None:
            raise UserError(f"user {name!r} already exists")
        session.add(
            UserRow(name=name, roles=list(chosen), unit=unit, exercise_id=exercise_id, active=True, created_at=now)
        )
    return Identity(name, chosen, unit, exercise_id)


async def get_user(db: Database, name: str) -> Identity | None:
    """A user by name, or None."""
    async with db.session() as session:
        row = await session.get(UserRow, name)
    return None if row is None else Identity(row.name, tuple(row.roles), row.unit, row.exercise_id)


async def list_users(db: Database) -> Sequence[UserRow]:
    """Every user, by name."""
    async with db.session() as session:
        return (await session.scalars(select(UserRow).order_by(UserRow.name))).all()


async def issue_token(
    db: Database, user: str, *, now: datetime, expires_at: datetime | None = None, label: str = ""
) -> str:
    """A new random token for `user`; only its hash is stored, so the returned text cannot be shown again."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    async with db.session() as session, session.begin():
        row = await session.get(UserRow, user)
        if row is None or not row.active:
            raise UserError(f"no active user {user!r}; add one with `tocsin user add`")
        session.add(
            ApiTokenRow(
                token_hash=hash_token(token),
                prefix=token[:12],
                user_name=user,
                label=label,
                created_at=now,
                expires_at=expires_at,
                revoked_at=None,
            )
        )
    return token


async def revoke_tokens(db: Database, user: str, *, now: datetime) -> int:
    """Revoke every live token of `user`; return how many."""
    async with db.session() as session, session.begin():
        rows = (
            await session.scalars(
                select(ApiTokenRow).where(ApiTokenRow.user_name == user, ApiTokenRow.revoked_at.is_(None))
            )
        ).all()
        for row in rows:
            row.revoked_at = now
    return len(rows)


async def authenticate(db: Database, token: str, *, now: datetime) -> Identity | None:
    """The identity a token stands for, or None when it is unknown, revoked, expired or its user inactive."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    query = (
        select(ApiTokenRow, UserRow)
        .join(UserRow, UserRow.name == ApiTokenRow.user_name)
        .where(ApiTokenRow.token_hash == hash_token(token))
    )
    async with db.session() as session:
        found = (await session.execute(query)).first()
    if found is None:
        return None
    token_row, user = found
    if token_row.revoked_at is not None or not user.active:
        return None
    if token_row.expires_at is not None and _aware(token_row.expires_at) <= now:
        return None
    return Identity(user.name, tuple(user.roles), user.unit, user.exercise_id)


def _aware(moment: datetime) -> datetime:
    """SQLite returns naive datetimes; they were stored as UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
