"""Users and their API tokens: add a user, issue an opaque token (stored as its SHA-256), authenticate (cached)."""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from cachetools import TTLCache
from sqlalchemy import select

from infra.db.auth_models import ApiTokenRow, UserRow
from infra.db.engine import Database

__all__ = [
    "ROLES",
    "TOKEN_PREFIX",
    "Grant",
    "Identity",
    "TokenCache",
    "UserError",
    "add_user",
    "authenticate",
    "get_user",
    "hash_token",
    "issue_token",
    "list_users",
    "revoke_tokens",
]

ROLES = ("duty_officer", "commander", "unit_responder", "drill_controller", "observer", "publicity", "evaluator")
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
    if "evaluator" in chosen and not exercise_id:
        raise UserError("an evaluator evaluates one exercise (--exercise)")
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
    if not _well_formed(token):
        return None
    return _unexpired(await _grant(db, hash_token(token)), now)


@dataclass(frozen=True)
class Grant:
    """What a token that is neither revoked nor of an inactive user grants: who, and until when (None: no end)."""

    identity: Identity
    expires_at: datetime | None


class TokenCache:
    """Recently looked-up tokens, trusted for `ttl` seconds of `timer` so most requests need no token query.

    Keyed by the token's SHA-256, so the cache never holds a token. A token revoked (or a user deactivated)
    after its lookup is still admitted until its entry is `ttl` seconds old; expiry is checked on every use.
    Unknown, revoked and expired tokens are not cached: they are looked up again each time. Not thread-safe:
    use one per event loop (the API has one per process). `ttl` 0 disables the cache.
    """

    def __init__(self, ttl: float, *, maxsize: int = 10_000, timer: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._grants: TTLCache[str, Grant] | None = TTLCache(maxsize, ttl, timer=timer) if ttl > 0 else None

    async def authenticate(self, db: Database, token: str, *, now: datetime) -> Identity | None:
        """As `authenticate`, from the cache when the token was looked up less than `ttl` seconds ago."""
        if not _well_formed(token):
            return None
        key = hash_token(token)
        grant = self._grants.get(key) if self._grants is not None else None
        if grant is None:
            grant = await _grant(db, key)
            if grant is not None and self._grants is not None:
                self._grants[key] = grant
        identity = _unexpired(grant, now)
        if identity is None and self._grants is not None:
            self._grants.pop(key, None)
        return identity

    def __len__(self) -> int:
        """How many tokens are cached now."""
        return 0 if self._grants is None else len(self._grants)


def _well_formed(token: str) -> bool:
    return token.startswith(TOKEN_PREFIX) and len(token) <= 200


async def _grant(db: Database, token_hash: str) -> Grant | None:
    """The grant of the token with this hash, or None when it is unknown, revoked or its user inactive."""
    query = (
        select(ApiTokenRow, UserRow)
        .join(UserRow, UserRow.name == ApiTokenRow.user_name)
        .where(ApiTokenRow.token_hash == token_hash)
    )
    async with db.session() as session:
        found = (await session.execute(query)).first()
    if found is None:
        return None
    token_row, user = found
    if token_row.revoked_at is not None or not user.active:
        return None
    expires_at = None if token_row.expires_at is None else _aware(token_row.expires_at)
    return Grant(Identity(user.name, tuple(user.roles), user.unit, user.exercise_id), expires_at)


def _unexpired(grant: Grant | None, now: datetime) -> Identity | None:
    if grant is None or (grant.expires_at is not None and grant.expires_at <= now):
        return None
    return grant.identity


def _aware(moment: datetime) -> datetime:
    """SQLite returns naive datetimes; they were stored as UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
