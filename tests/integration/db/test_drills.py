"""The drill runs' read model on SQLite and PostgreSQL: projecting drill events, command results, reads."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from infra.db import queries
from infra.db.drills import (
    DrillEventInvalid,
    DrillFilter,
    apply_drill_event,
    apply_drill_events,
    drill_report,
    get_drill_run,
    list_drill_runs,
)
from infra.db.engine import Database
from infra.db.rebuild import apply_any, table_rows
from tests.integration.db import drill_events as ev
from tests.integration.db import seed

T0 = seed.T0


async def test_a_snapshot_becomes_the_run_row(db: Database) -> None:
    await apply_drill_event(db, ev.updated(3, elapsed=600.0))
    row = await get_drill_run(db, ev.EXERCISE)
    assert row is not None
    assert (row.scenario_id, row.state, row.speed, row.elapsed_seconds, row.end_seconds, row.bot, row.seq) == (
        "school_canteen",
        "running",
        60.0,
        600.0,
        14400.0,
        "perfect",
        3,
    )
    assert row.requested_by == "chief"
    assert row.started_at.replace(tzinfo=T0.tzinfo) == T0
    assert row.ended_at is None and row.score is None
    assert [i["id"] for i in row.snapshot["injects"]] == ["first_report", "parents_call"]


async def test_only_a_newer_snapshot_replaces_the_row(db: Database) -> None:
    await apply_drill_event(db, ev.updated(5, elapsed=900.0))
    await apply_drill_event(db, ev.updated(4, elapsed=800.0, state="paused"))  # late or replayed: ignored
    await apply_drill_event(db, ev.updated(5, elapsed=999.0))  # the same seq again: ignored
    row = await get_drill_run(db, ev.EXERCISE)
    assert row is not None and (row.seq, row.state, row.elapsed_seconds) == (5, "running", 900.0)
    await apply_drill_event(db, ev.updated(6, elapsed=960.0, state="paused"))
    row = await get_drill_run(db, ev.EXERCISE)
    assert row is not None and (row.seq, row.state, row.elapsed_seconds) == (6, "paused", 960.0)


async def test_the_end_keeps_its_time_and_the_score(db: Database) -> None:
    score = {"overall": 0.83, "objectives": {"alerting": 1.0}}
    await apply_drill_event(db, ev.updated(1))
    await apply_drill_event(db, ev.updated(9, state="finished", score=score))
    await apply_drill_event(db, ev.updated(10, state="finished", score=score))
    row = await get_drill_run(db, ev.EXERCISE)
    assert row is not None and row.state == "finished" and row.score == score
    assert row.ended_at is not None
    assert row.ended_at.replace(tzinfo=T0.tzinfo) == T0 + timedelta(seconds=9)


async def test_a_snapshot_caused_by_a_command_records_it_applied(db: Database) -> None:
    command_id = str(uuid.uuid4())
    await apply_drill_event(db, ev.updated(2, causation=command_id))
    result = await queries.command_result(db, command_id)
    assert result is not None and (result.status, result.reason) == ("applied", "")
    # a periodic snapshot (no causation) or one caused by something else records nothing
    await apply_drill_event(db, ev.updated(3, causation="tick"))
    assert await queries.command_result(db, "tick") is None


async def test_a_rejected_command_records_its_reason(db: Database) -> None:
    command_id = str(uuid.uuid4())
    await apply_drill_event(db, ev.rejected(command_id, "inject 'nope' is not in the scenario"))
    result = await queries.command_result(db, command_id)
    assert result is not None and (result.status, result.reason) == ("rejected", "inject 'nope' is not in the scenario")
    # replaying changes nothing, not even a later, different outcome
    await apply_drill_event(db, ev.updated(4, causation=command_id))
    result = await queries.command_result(db, command_id)
    assert result is not None and result.status == "rejected"


async def test_the_report_is_stored_once_written(db: Database) -> None:
    await apply_drill_event(db, ev.updated(7, state="finished"))
    assert await drill_report(db, ev.EXERCISE) is None
    await apply_drill_event(db, ev.report(markdown="# AAR\nscore 83%", html="<html>AAR</html>"))
    found = await drill_report(db, ev.EXERCISE)
    assert found is not None and (found.markdown, found.html) == ("# AAR\nscore 83%", "<html>AAR</html>")
    # a later snapshot keeps the report
    await apply_drill_event(db, ev.updated(8, state="finished"))
    assert await drill_report(db, ev.EXERCISE) == found


async def test_a_report_before_any_snapshot_waits_for_it(db: Database) -> None:
    await apply_drill_event(db, ev.report())
    placeholder = await get_drill_run(db, ev.EXERCISE)
    assert placeholder is not None and placeholder.seq == -1
    await apply_drill_event(db, ev.updated(0, state="finished"))
    row = await get_drill_run(db, ev.EXERCISE)
    assert row is not None and (row.seq, row.scenario_id, row.report_markdown) == (
        0,
        "school_canteen",
        "# After-action report\n",
    )


async def test_runs_are_listed_newest_first_and_filtered(db: Database) -> None:
    await apply_drill_events(
        db,
        [
            ev.updated(1, exercise_id="EX-a", started_at=T0),
            ev.updated(1, exercise_id="EX-b", started_at=T0 + timedelta(hours=1), state="finished"),
            ev.updated(1, exercise_id="EX-c", started_at=T0 + timedelta(hours=2), scenario_id="rural_dinner"),
        ],
    )
    assert [r.exercise_id for r in await list_drill_runs(db)] == ["EX-c", "EX-b", "EX-a"]
    assert [r.exercise_id for r in await list_drill_runs(db, DrillFilter(state="running"))] == ["EX-c", "EX-a"]
    assert [r.exercise_id for r in await list_drill_runs(db, DrillFilter(scenario_id="rural_dinner"))] == ["EX-c"]
    assert [r.exercise_id for r in await list_drill_runs(db, DrillFilter(exercise_id="EX-b"))] == ["EX-b"]
    assert [r.exercise_id for r in await list_drill_runs(db, DrillFilter(limit=1))] == ["EX-c"]


@pytest.mark.parametrize(
    ("event", "names"),
    [
        ({**ev.updated(1), "payload": "not an object"}, "payload"),
        (ev.updated(1, state="exploded"), "exploded"),
        ({**ev.updated(1), "time": "yesterday"}, "yesterday"),
        (ev.updated(1, exercise_id=""), "exercise_id"),
        ({**ev.report(), "payload": {"markdown": None, "html": ""}}, "markdown"),
        ({**ev.rejected("c", "r"), "causation": None, "payload": {"reason": "r"}}, "command_id"),
    ],
)
async def test_a_malformed_event_is_refused_naming_the_problem(
    db: Database, event: dict[str, object], names: str
) -> None:
    with pytest.raises(DrillEventInvalid, match=names):
        await apply_drill_events(db, [ev.updated(1, exercise_id="EX-ok"), event])
    assert await list_drill_runs(db) == []  # the batch wrote nothing


async def test_other_event_types_are_ignored(db: Database) -> None:
    await apply_drill_event(db, {**ev.updated(1), "type": "DrillHeartbeat"})
    assert await list_drill_runs(db) == []


async def test_replaying_the_log_reproduces_the_tables(db: Database) -> None:
    command_id = str(uuid.uuid4())
    log = [
        ev.updated(1),
        ev.updated(2, causation=command_id),
        ev.rejected(str(uuid.uuid4()), "drill over"),
        ev.updated(3, state="finished"),
        ev.report(),
    ]
    await apply_any(db, log)
    once = await table_rows(db)
    await apply_any(db, log)
    assert await table_rows(db) == once
    assert [r["exercise_id"] for r in once["drill_runs"]] == [ev.EXERCISE]


async def test_a_replay_skips_a_malformed_drill_event_and_applies_the_rest(db: Database) -> None:
    """Drill events are replayed in one transaction per run of them; a malformed one costs only itself."""
    log = [ev.updated(1), ev.updated(2, state="exploded"), ev.updated(3, elapsed=900.0)]
    await apply_any(db, log)
    row = await get_drill_run(db, ev.EXERCISE)
    assert row is not None
    assert (row.seq, row.elapsed_seconds) == (3, 900.0)
