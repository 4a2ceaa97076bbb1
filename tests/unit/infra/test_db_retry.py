"""A worker waits out a database outage instead of crashing; a bad statement still fails at once."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from infra.db.retry import MAX_DELAY, database_down, retry_while_database_down


class Flaky:
    """Work that fails with `error` the first `failures` times, then answers 'done'."""

    def __init__(self, failures: int, error: Exception) -> None:
        self.failures = failures
        self.error = error
        self.calls = 0

    async def __call__(self) -> str:
        """One attempt."""
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return "done"


def test_work_is_retried_with_a_capped_backoff_until_the_database_answers() -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    work = Flaky(8, OperationalError("SELECT 1", {}, ConnectionRefusedError(111, "refused")))
    assert asyncio.run(retry_while_database_down(work, what="test", sleep=sleep)) == "done"
    assert work.calls == 9
    assert slept[:3] == [0.5, 1.0, 2.0] and max(slept) == MAX_DELAY


def test_a_refused_connection_counts_as_the_database_being_down() -> None:
    assert database_down(ConnectionRefusedError(111, "Connect call failed"))


class PostgresError(Exception):
    """What SQLAlchemy's asyncpg adapter wraps: a message and its SQLSTATE."""

    def __init__(self, message: str, sqlstate: str) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


def test_a_full_disk_or_a_shutting_down_server_counts_as_the_database_being_down() -> None:
    full = DBAPIError("INSERT", {}, PostgresError('could not extend file "base/16384/16390"', "53100"))
    stopping = DBAPIError("INSERT", {}, PostgresError("the database system is shutting down", "57P03"))
    assert database_down(full) and database_down(stopping)


def test_a_bad_statement_does_not_count_as_the_database_being_down() -> None:
    assert not database_down(DBAPIError("INSERT", {}, PostgresError("value too long", "22001")))


def test_a_constraint_violation_is_not_retried() -> None:
    async def sleep(seconds: float) -> None:
        raise AssertionError("should not wait")

    work = Flaky(1, IntegrityError("INSERT", {}, ValueError("duplicate key")))
    with pytest.raises(IntegrityError):
        asyncio.run(retry_while_database_down(work, what="test", sleep=sleep))
