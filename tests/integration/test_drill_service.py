"""The drill service finds the runs a previous service left running, and the state of a run, in the read model."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text

from drills.service import orphaned_runs, run_state
from infra.db.engine import Database
from infra.db.migrate import upgrade


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """A freshly migrated SQLite read model (the service migrates before it asks)."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'tocsin.db'}"
    await upgrade(url)
    database = Database(url)
    yield database
    await database.dispose()


async def add_run(db: Database, exercise_id: str, state: str, seq: int) -> None:
    """A drill_runs row as the projector would leave it."""
    snapshot = json.dumps({"exercise_id": exercise_id, "state": state, "seq": seq, "title": "演练"})
    async with db.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO drill_runs (exercise_id, scenario_id, title, state, speed, elapsed_seconds, "
                "end_seconds, seq, started_at, updated_at, snapshot) VALUES (:id, 's', '演练', :state, 60, 0, "
                "14400, :seq, '2026-12-01 08:00:00', '2026-12-01 08:00:00', :snapshot)"
            ),
            {"id": exercise_id, "state": state, "seq": seq, "snapshot": snapshot},
        )


async def test_without_drill_runs_there_are_no_orphans(db: Database) -> None:
    assert await orphaned_runs(db) == []


async def test_running_and_paused_runs_are_orphans_finished_ones_are_not(db: Database) -> None:
    for exercise_id, state, seq in [
        ("EX-a", "running", 7),
        ("EX-b", "paused", 3),
        ("EX-c", "finished", 9),
        ("EX-d", "failed", 2),
    ]:
        await add_run(db, exercise_id, state, seq)
    found = sorted(await orphaned_runs(db))
    assert [(ex, seq) for ex, seq, _ in found] == [("EX-a", 7), ("EX-b", 3)]
    assert found[0][2]["title"] == "演练"


async def test_the_state_of_a_known_run_is_read_and_an_unknown_one_is_none(db: Database) -> None:
    assert await run_state(db, "EX-a") is None
    await add_run(db, "EX-a", "finished", 4)
    assert await run_state(db, "EX-a") == "finished"
    assert await run_state(db, "EX-b") is None
