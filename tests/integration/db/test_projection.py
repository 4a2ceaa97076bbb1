"""Projecting incident events in batches on SQLite and PostgreSQL: a batch leaves the tables of one pass, event by
event, in order, however the log is cut into batches, repeated or overlapped (DESIGN invariant 3).

The log comes from the real incident writer (a dict for its table, a fixed clock, a list for Kafka): a report
opens an incident, a failed and then a successful delivery share one idempotency key, a second report raises the
level, a hospital lists three persons and later updates one of them and adds a fourth, an overdue sweep
escalates, a task is acknowledged, a duty officer's lowering is refused.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select

from infra.db.engine import Database
from infra.db.models import Base, CommandResultRow
from infra.db.projection import apply_events
from infra.db.rebuild import PROJECTED_TABLES, apply_any, table_rows
from infra.wire import CommandType, Envelope, EventType, stable_id
from infra.wire.incident import command_envelope
from playbooks import Playbook, load_library
from playbooks.commands import AcknowledgeTask, CheckDeadlines, Command, DecideLevel, Delivery, RecordDelivery
from playbooks.levels import Level
from streams.writer import IncidentWriter, StoredState, WriterTopics
from tests.factories import report_dict
from tests.integration.db import drill_events
from tests.unit.channels.fakes import START, FakeTime
from tests.unit.domain.factories import DUTY_OFFICER

Log = list[dict[str, Any]]
Tables = dict[str, list[dict[str, Any]]]
INCIDENT = "INC-20261129-0042"
LIBRARY = load_library()
TOPICS = WriterTopics(events="test.incident-events", accepted="test.reports.accepted")


async def _playbook_for(incident_type: str, version: str | None, rule_set: str | None) -> Playbook:
    found = LIBRARY.get(incident_type, version)
    return found.with_rule_set(rule_set) if rule_set and rule_set != found.rule_set else found


async def incident_log() -> Log:
    """The events the writer publishes for one incident's story, as the projector receives them."""
    store: dict[str, StoredState] = {}
    events: list[Envelope] = []
    time = FakeTime(START)

    async def publish(topic: str, key: str, message: Envelope) -> None:
        if topic == TOPICS.events:
            events.append(message)

    writer = IncidentWriter(store, _playbook_for, time, publish, TOPICS)

    async def report(number: int, cases: int, case_list: list[dict[str, Any]] | None = None) -> None:
        payload = report_dict(report_id=f"hotline-{number}", reported_at=time.now().isoformat(), facts={"cases": cases})
        payload["location"]["venue"] = "城关实验小学食堂"
        if case_list is not None:
            payload.update(source="hospital", reporter={"unit": "区人民医院"}, case_list=case_list)
        receive = Envelope.new(
            CommandType.RECEIVE_REPORT,
            at=time.now(),
            mode="actual",
            payload=payload,
            incident_id=INCIDENT,
            id_=stable_id("receive", str(number), INCIDENT),
        )
        await writer.apply(receive)

    async def command(cmd: Command) -> None:
        await writer.apply(command_envelope(cmd, incident_id=INCIDENT, at=time.now(), mode="actual"))

    await report(1, 35)
    notify = next(k for k, item in _items(store).items() if item["kind"] == "notify")
    for status in ("failed", "delivered"):
        time.current += timedelta(minutes=1)
        page = Delivery(idempotency_key="page-1@outbox", action_key=notify, status=status, recipient_id="p-cdc-01")
        await command(RecordDelivery(deliveries=(page,)))
    time.current += timedelta(minutes=30)
    await report(2, 60)
    time.current += timedelta(minutes=5)
    await report(3, 0, [_person(1, "ill"), _person(2, "ill"), _person(3, "ill")])
    time.current += timedelta(minutes=5)
    await report(4, 0, [_person(1, "hospitalized"), _person(4, "ill")])
    time.current += timedelta(hours=3)
    await command(CheckDeadlines(now=time.now()))
    task = next(k for k, item in _items(store).items() if item["kind"] == "task")
    await command(AcknowledgeTask(actor=DUTY_OFFICER, action_key=task))
    await command(DecideLevel(level=Level.IV, reason="降级", actor=DUTY_OFFICER))
    return [event.to_dict() for event in events]


def _person(number: int, status: str) -> dict[str, Any]:
    """A listed pupil (wire format)."""
    onset = (START - timedelta(hours=number)).isoformat()
    return {"person_key": f"h:{number:04}", "onset": onset, "town": "城关街道", "village": "桥坑社区", "status": status}


def _items(store: dict[str, StoredState]) -> dict[str, dict[str, Any]]:
    items: dict[str, dict[str, Any]] = store[INCIDENT]["items"]
    return items


async def tables_after(db: Database, batches: list[Log]) -> Tables:
    """Empty the projected tables, apply `batches` in turn, and return every projected table's rows."""
    models: tuple[type[Base], ...] = (*PROJECTED_TABLES, CommandResultRow)
    async with db.transaction() as session:
        for model in models:
            await session.execute(delete(model))
    for batch in batches:
        await apply_events(db, batch)
    tables = await table_rows(db)
    async with db.session() as session:
        results = (await session.execute(select(CommandResultRow.__table__))).mappings().all()
    tables["command_results"] = sorted((dict(r) for r in results), key=lambda r: str(r["command_id"]))
    for row in tables["command_results"]:
        row["at"] = str(row["at"])
    return tables


@pytest.fixture(scope="module")
async def log() -> Log:
    """The story's events, in log order."""
    return await incident_log()


async def one_pass(db: Database, log: Log) -> Tables:
    """The tables after projecting each event alone, in order: what every batching must reproduce."""
    return await tables_after(db, [[event] for event in log])


async def test_the_story_reaches_every_projected_table(db: Database, log: Log) -> None:
    """The log exercises every rule the batching must keep (else the other tests would prove little)."""
    tables = await one_pass(db, log)
    types = {event["type"] for event in log}
    assert {EventType.NOTIFICATION_FAILED, EventType.ACTION_UPDATED, EventType.COMMAND_REJECTED} <= types
    assert [r["level"] for r in tables["incidents"]] == ["II"]
    assert [r["to_level"] for r in sorted(tables["level_history"], key=lambda r: r["seq"])] == ["IV", "II"]
    assert [r["status"] for r in tables["notifications"]] == ["delivered"]  # the later outcome of one key
    assert "rejected" in {r["status"] for r in tables["command_results"]}
    persons = {r["person_key"]: r["status"] for r in tables["incident_cases"]}
    assert persons == {"h:0001": "hospitalized", "h:0002": "ill", "h:0003": "ill", "h:0004": "ill"}
    assert len(tables["timeline"]) == len(log)


async def test_one_batch_leaves_the_tables_of_one_pass(db: Database, log: Log) -> None:
    assert await tables_after(db, [log]) == await one_pass(db, log)


async def test_a_batch_holding_each_event_twice_leaves_the_same_tables(db: Database, log: Log) -> None:
    expected = await one_pass(db, log)
    assert await tables_after(db, [[event for event in log for _ in range(2)]]) == expected
    assert await tables_after(db, [log + log]) == expected


@pytest.mark.parametrize("cut", [1, 5, 12])
async def test_overlapping_batches_leave_the_same_tables(db: Database, log: Log, cut: int) -> None:
    expected = await one_pass(db, log)
    assert await tables_after(db, [log[: cut * 2], log[cut:]]) == expected
    assert await tables_after(db, [log, log[cut:]]) == expected  # a redelivered tail after a restart
    assert await tables_after(db, [log, log[: cut * 2]]) == expected  # an older stretch, read again


async def test_within_a_batch_the_newest_seq_wins_whatever_the_order(db: Database, log: Log) -> None:
    expected = await one_pass(db, log)
    reversed_batch = await tables_after(db, [log[::-1]])
    for table in ("incidents", "actions", "timeline", "level_history", "incident_cases"):
        assert reversed_batch[table] == expected[table], table


async def test_a_malformed_event_fails_the_batch_and_writes_nothing(db: Database, log: Log) -> None:
    broken = {**log[-1], "payload": {"seq": 99, "event": {}}}  # no incident snapshot
    with pytest.raises(KeyError):
        await tables_after(db, [[*log, broken]])
    assert await table_rows(db) == await table_rows_of_empty(db)


async def table_rows_of_empty(db: Database) -> Tables:
    """Every projected table with no rows."""
    return {model.__tablename__: [] for model in PROJECTED_TABLES}


async def test_a_replay_batch_mixing_drill_and_incident_events_projects_both(db: Database, log: Log) -> None:
    expected = await one_pass(db, log)
    await tables_after(db, [])
    await apply_any(db, [drill_events.updated(1), *log[:10], drill_events.updated(2), *log[10:]])
    tables = await table_rows(db)
    assert [(r["exercise_id"], r["seq"]) for r in tables.pop("drill_runs")] == [(drill_events.EXERCISE, 2)]
    for name, rows in tables.items():
        assert rows == expected[name], name
