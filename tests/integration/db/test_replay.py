"""Replaying the incident log from the broker (`infra.db.rebuild.replay`, what `tocsin projector rebuild` runs) into
SQLite and PostgreSQL: batches read while earlier ones are written leave the tables of one pass, and a malformed
event stops the replay instead of passing for a missing topic.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.partitioner import DefaultPartitioner

from infra.db.engine import Database
from infra.db.rebuild import NoSuchTopic, replay, table_rows
from infra.kafka.admin import ensure_topics
from infra.kafka.security import client_options
from tests.integration.db import drill_events
from tests.integration.db.test_projection import INCIDENT, Log, incident_log, one_pass, tables_after


@pytest.fixture(scope="module")
async def log() -> Log:
    """One incident's events from the real writer (tests/integration/db/test_projection.py)."""
    return await incident_log()


@pytest.fixture
async def topic(kafka_bootstrap: str) -> AsyncIterator[str]:
    """A fresh topic name (the topic is deleted after the test)."""
    name = f"test.replay.{uuid.uuid4().hex[:12]}.incident-events"
    yield name
    admin = AIOKafkaAdminClient(**client_options(kafka_bootstrap))
    await admin.start()
    try:
        if name in await admin.list_topics():
            await admin.delete_topics([name])
    finally:
        await admin.close()


async def publish(bootstrap: str, topic: str, log: Log, partitions: int = 3) -> None:
    """Put the events on `topic`, keyed by incident id (a drill's by exercise id) as their writers do."""
    await ensure_topics(bootstrap, [topic], partitions)
    producer = AIOKafkaProducer(**client_options(bootstrap), acks="all")
    await producer.start()
    try:
        for event in log:
            key = str(event.get("incident_id") or event.get("exercise_id")).encode()
            await producer.send_and_wait(topic, json.dumps(event).encode(), key=key)
    finally:
        await producer.stop()


async def test_a_replay_in_small_batches_leaves_the_tables_of_one_pass(
    db: Database, log: Log, topic: str, kafka_bootstrap: str
) -> None:
    expected = await one_pass(db, log)
    await tables_after(db, [])  # empty again
    await publish(kafka_bootstrap, topic, log)
    seen: list[tuple[int, int]] = []
    count = await replay(kafka_bootstrap, topic, db, batch=4, progress=lambda done, total: seen.append((done, total)))
    assert count == len(log)
    tables = await table_rows(db)
    assert tables == {name: expected[name] for name in tables}
    assert seen[-1] == (len(log), len(log))
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


async def test_a_replay_shared_among_processes_leaves_the_tables_of_one_pass(
    db: Database, log: Log, topic: str, kafka_bootstrap: str
) -> None:
    """Worker processes, each with its share of the partitions, write one database (the CLI's --processes)."""
    expected = await one_pass(db, log)
    await tables_after(db, [])
    drills = [drill_events.updated(seq, elapsed=60.0 * seq) for seq in (1, 2, 3)]
    numbers, keys = list(range(5)), (INCIDENT, drill_events.EXERCISE)
    # the incident lands in partition 3, the drill in 0: one in each process's share
    assert [DefaultPartitioner()(key.encode(), numbers, numbers) % 2 for key in keys] == [1, 0]
    await publish(kafka_bootstrap, topic, [*log, *drills], partitions=5)
    seen: list[tuple[int, int]] = []
    count = await replay(
        kafka_bootstrap, topic, db, batch=5, processes=2, progress=lambda done, total: seen.append((done, total))
    )
    assert count == len(log) + len(drills)
    tables = await table_rows(db)
    assert [(r["exercise_id"], r["seq"]) for r in tables.pop("drill_runs")] == [(drill_events.EXERCISE, 3)]
    assert tables == {name: expected[name] for name in tables}
    assert seen[-1] == (count, count)


async def test_a_malformed_event_stops_the_replay_though_another_topic_is_missing(
    db: Database, log: Log, topic: str, kafka_bootstrap: str
) -> None:
    broken = {**log[3], "payload": {"seq": 99, "event": {}}}  # no incident snapshot: KeyError, a LookupError
    await publish(kafka_bootstrap, topic, [*log[:3], broken])
    with pytest.raises(KeyError):
        await replay(kafka_bootstrap, [topic, f"{topic}.missing"], db)


async def test_a_missing_topic_beside_an_existing_one_is_skipped(
    db: Database, log: Log, topic: str, kafka_bootstrap: str
) -> None:
    await publish(kafka_bootstrap, topic, log)
    assert await replay(kafka_bootstrap, [f"{topic}.missing", topic], db) == len(log)
    with pytest.raises(NoSuchTopic):
        await replay(kafka_bootstrap, f"{topic}.missing", db)
