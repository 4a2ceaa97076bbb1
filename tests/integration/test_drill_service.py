"""The drill service finds the runs a previous service left running, in the read model when there is one."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import text

from drills.service import orphaned_runs, run_state
from infra.db.engine import Database
from infra.db.migrate import upgrade


async def test_without_the_drill_runs_table_there_are_no_orphans(tmp_path: Path) -> None:
    assert await orphaned_runs(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}") == []


async def test_running_and_paused_runs_are_orphans_finished_ones_are_not(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'tocsin.db'}"
    await upgrade(url)
    db = Database(url)
    try:
        async with db.engine.begin() as conn:
            for exercise_id, state, seq in [("EX-a", "running", 7), ("EX-b", "paused", 3), ("EX-c", "finished", 9),
                                            ("EX-d", "failed", 2)]:
                snapshot = json.dumps({"exercise_id": exercise_id, "state": state, "seq": seq, "title": "演练"})
                await conn.execute(text(
                    "INSERT INTO drill_runs (exercise_id, scenario_id, title, state, speed, elapsed_seconds, "
                    "end_seconds, seq, started_at, updated_at, snapshot) VALUES (:id, 's', '演练', :state, 60, 0, "
                    "14400, :seq, '2026-12-01 08:00:00', '2026-12-01 08:00:00', :snapshot)"),
                    {"id": exercise_id, "state": state, "seq": seq, "snapshot": snapshot})
    finally:
        await db.dispose()
    found = sorted(await orphaned_runs(url))
    assert [(ex, seq) for ex, seq, _ in found] == [("EX-a", 7), ("EX-b", 3)]
    assert found[0][2]["title"] == "演练"


async def test_the_state_of_a_known_run_is_read_and_an_unknown_one_is_none(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'tocsin.db'}"
    assert await run_state(url, "EX-a") is None  # no table yet
    await upgrade(url)
    db = Database(url)
    try:
        async with db.engine.begin() as conn:
            await conn.execute(text(
                "INSERT INTO drill_runs (exercise_id, scenario_id, title, state, speed, elapsed_seconds, end_seconds, "
                "seq, started_at, updated_at, snapshot) VALUES ('EX-a', 's', 't', 'finished', 60, 0, 14400, 4, "
                "'2026-12-01 08:00:00', '2026-12-01 08:00:00', '{}')"))
    finally:
        await db.dispose()
    assert await run_state(url, "EX-a") == "finished"
    assert await run_state(url, "EX-b") is None
