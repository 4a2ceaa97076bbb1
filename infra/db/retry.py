"""Wait out a database outage: retry a unit of work while PostgreSQL is unreachable, with a capped backoff.

A worker that meets a database outage used to crash and be restarted (by systemd) until the database came back;
with this it stays in its group, keeps its partitions and goes on from the same message (it has not committed
it), so nothing is lost or reordered and no rebalance is caused (docs/adr/0028).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import structlog
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

__all__ = ["database_down", "retry_while_database_down"]

T = TypeVar("T")
log = structlog.get_logger("tocsin.db")
FIRST_DELAY = 0.5
MAX_DELAY = 10.0


UNAVAILABLE_SQLSTATES = ("53", "57P")
"""PostgreSQL error classes that are the server's state, not the statement's: insufficient resources (a full disk,
out of memory, too many connections) and operator intervention (shutting down, starting up)."""


def database_down(exc: BaseException) -> bool:
    """Whether `exc` means the database cannot do the work now (unreachable, out of disk, shutting down), as opposed
    to a bad statement or bad data."""
    if isinstance(exc, OperationalError | InterfaceError | PoolTimeout | ConnectionError | TimeoutError):
        return True
    if isinstance(exc, DBAPIError):
        sqlstate = str(getattr(exc.orig, "sqlstate", None) or "")
        return (
            bool(exc.connection_invalidated)
            or "connection" in str(exc.orig).lower()
            or sqlstate.startswith(UNAVAILABLE_SQLSTATES)
        )
    return isinstance(exc, OSError)


async def retry_while_database_down(
    work: Callable[[], Awaitable[T]],
    *,
    what: str,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> T:
    """Run `work`; while it fails because the database is down, log and run it again after a growing delay."""
    delay = FIRST_DELAY
    while True:
        try:
            return await work()
        except Exception as exc:
            if not database_down(exc):
                raise
            log.warning("database.unavailable", what=what, retry_in_s=delay, error=repr(exc))
            await sleep(delay)
            delay = min(delay * 2, MAX_DELAY)
