"""Repositories on SQLite and PostgreSQL: users and tokens, the audit trail, and the read-side queries."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from infra.db import audit, queries, users
from infra.db.engine import Database
from infra.notify.stores import SqlDeliveryStore
from infra.wire import CommandType, EventType
from tests.integration.db import seed

T0 = seed.T0


async def test_a_token_authenticates_its_user_until_revoked(db: Database) -> None:
    await users.add_user(db, "wang", roles=["duty_officer"], now=T0)
    token = await users.issue_token(db, "wang", now=T0)
    assert token.startswith("tocsin_")
    assert await users.authenticate(db, token, now=T0) == users.Identity("wang", ("duty_officer",))
    assert await users.revoke_tokens(db, "wang", now=T0) == 1
    assert await users.authenticate(db, token, now=T0) is None


async def test_a_token_expires(db: Database) -> None:
    await users.add_user(db, "wang", roles=["observer"], now=T0)
    token = await users.issue_token(db, "wang", now=T0, expires_at=T0 + timedelta(hours=1))
    assert await users.authenticate(db, token, now=T0 + timedelta(minutes=59)) is not None
    assert await users.authenticate(db, token, now=T0 + timedelta(hours=1)) is None


async def test_only_the_hash_of_a_token_is_stored(db: Database) -> None:
    await users.add_user(db, "wang", roles=["observer"], now=T0)
    token = await users.issue_token(db, "wang", now=T0)
    async with db.engine.connect() as conn:
        stored = [tuple(row) for row in (await conn.exec_driver_sql("SELECT * FROM api_tokens")).all()]
    assert token not in str(stored)
    assert users.hash_token(token) in str(stored)


@pytest.mark.parametrize(
    ("roles", "unit", "exercise", "why"),
    [
        ([], None, None, "at least one role"),
        (["chief"], None, None, "unknown role"),
        (["unit_responder"], None, None, "--unit"),
        (["drill_controller"], None, None, "--exercise"),
    ],
)
async def test_users_that_cannot_work_are_refused(
    db: Database, roles: list[str], unit: str | None, exercise: str | None, why: str
) -> None:
    with pytest.raises(users.UserError, match=why):
        await users.add_user(db, "x", roles=roles, unit=unit, exercise_id=exercise, now=T0)


async def test_a_user_name_is_unique(db: Database) -> None:
    await users.add_user(db, "li", roles=["commander"], now=T0)
    with pytest.raises(users.UserError, match="already exists"):
        await users.add_user(db, "li", roles=["observer"], now=T0)


def _entry(n: int, incident: str | None = "inc-1", exercise: str | None = None) -> audit.AuditEntry:
    return audit.AuditEntry(
        at=T0 + timedelta(seconds=n),
        actor="li",
        roles=("commander",),
        unit=None,
        ip="10.0.0.1",
        request_id=f"r-{n}",
        command_id=f"c-{n}",
        command_type=CommandType.ADD_NOTE,
        topic="tocsin.incident-commands",
        incident_id=incident,
        mode="exercise" if exercise else "actual",
        exercise_id=exercise,
        payload={"text": f"note {n}"},
    )


async def test_the_audit_trail_pages_in_order(db: Database) -> None:
    for n in range(5):
        await audit.record(db, _entry(n, incident="inc-1" if n % 2 == 0 else "inc-2"))
    first = await audit.entries(db, audit.AuditFilter(incident_id="inc-1", limit=2))
    assert [e.command_id for e in first] == ["c-0", "c-2"]
    rest = await audit.entries(db, audit.AuditFilter(incident_id="inc-1", after=first[-1].id))
    assert [e.command_id for e in rest] == ["c-4"]
    assert rest[0].payload == {"text": "note 4"} and rest[0].roles == ["commander"]


async def test_the_audit_trail_by_exercise(db: Database) -> None:
    await audit.record(db, _entry(1))
    await audit.record(db, _entry(2, exercise="ex-1"))
    found = await audit.entries(db, audit.AuditFilter(exercise_id="ex-1"))
    assert [e.command_id for e in found] == ["c-2"]


async def test_visibility_separates_actual_exercise_and_unit(db: Database) -> None:
    await seed.add(
        db,
        seed.incident("a1"),
        seed.incident("a2"),
        seed.incident("x1", mode="exercise", exercise_id="ex"),
        seed.action("a1", "sampling", owner="cdc"),
    )
    listing = queries.IncidentFilter()
    assert {r.id for r in await queries.list_incidents(db, listing)} == {"a1", "a2"}
    assert [r.id for r in await queries.list_incidents(db, listing, queries.Visibility(exercise_id="ex"))] == ["x1"]
    assert [r.id for r in await queries.list_incidents(db, listing, queries.Visibility(unit="cdc"))] == ["a1"]
    everything = await queries.list_incidents(db, listing, queries.Visibility(all_modes=True))
    assert {r.id for r in everything} == {"a1", "a2", "x1"}
    assert await queries.get_incident(db, "x1") is None
    assert await queries.get_incident(db, "x1", None) is not None


async def test_keyset_pages_with_equal_opening_times(db: Database) -> None:
    await seed.add(db, *(seed.incident(f"i{n}", opened_at=T0 + timedelta(minutes=n // 3)) for n in range(7)))
    seen: list[str] = []
    after = None
    while True:
        page = await queries.list_incidents(db, queries.IncidentFilter(limit=2, after=after))
        seen += [r.id for r in page]
        if len(page) < 2:
            break
        after = (page[-1].opened_at, page[-1].id)
    assert seen == ["i6", "i5", "i4", "i3", "i2", "i1", "i0"]


async def test_steps_timeline_notifications_and_results(db: Database) -> None:
    await seed.add(
        db,
        seed.incident("a1"),
        seed.action("a1", "sampling", owner="cdc"),
        seed.action("a1", "notify", owner="district_office", kind="notify"),
        seed.event("a1", 1, EventType.INCIDENT_OPENED),
        seed.event("a1", 2, EventType.FACTS_VERIFIED, {"reason": "r"}),
        seed.notification("a1", "k"),
        seed.command_result("c-1", status="rejected", reason="closed"),
    )
    assert [a.key for a in await queries.actions(db, "a1", owner="cdc")] == ["sampling"]
    assert [a.key for a in await queries.actions(db, "a1", kind="notify")] == ["notify"]
    assert (await queries.get_action(db, "a1", "sampling")) is not None
    assert [e.seq for e in await queries.timeline(db, "a1", after_seq=1)] == [2]
    last = await queries.last_event(db, "a1", EventType.FACTS_VERIFIED)
    assert last is not None and last.data == {"reason": "r"}
    assert len(await queries.notifications(db, "a1")) == 1
    result = await queries.command_result(db, "c-1")
    assert result is not None and (result.status, result.reason) == ("rejected", "closed")


async def test_statistics_leave_exercises_out(db: Database) -> None:
    await seed.add(
        db,
        seed.incident("a1", level="III"),
        seed.incident("a2", level="III", status="closed"),
        seed.incident("x1", level="II", mode="exercise", exercise_id="ex"),
        seed.action("a1", "late", due_at=T0),
        seed.action("a1", "fine", due_at=T0 + timedelta(days=9)),
        seed.action("x1", "late", due_at=T0, mode="exercise"),
        seed.notification("a1", "k1", status="failed"),
        seed.notification("x1", "k2", mode="exercise"),
    )
    assert await queries.incidents_by_level(db) == {("III", "active"): 1}
    assert await queries.overdue_count(db, T0 + timedelta(hours=1)) == {"task": 1}
    assert await queries.notification_counts(db) == {("sms", "failed"): 1}


async def test_a_page_burst_is_logged_in_a_few_transactions_and_every_key_is_durable(db: Database) -> None:
    store = SqlDeliveryStore(db)
    keys = [f"INC-1|notify.duty|person-{n}|issue@webhook" for n in range(30)]

    await asyncio.gather(*(store.begin(key) for key in keys))

    assert store._writes.flushes <= 2
    fresh = SqlDeliveryStore(db)  # another process after a crash reads what was committed
    assert [await fresh.status(key) for key in keys] == ["sending"] * 30
    assert await fresh.seen(keys[0]) is True
    assert await fresh.status("never-sent@webhook") is None
