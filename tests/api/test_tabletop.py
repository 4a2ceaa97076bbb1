"""Tabletop endpoints (docs/adr/0029): who may advance a phase, answer or rate, what each publishes, the discussion
read and the improvement plan as CSV (published commands recorded in memory; runs from the drill projection)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from api.publisher import InMemoryPublisher
from infra.db.drills import apply_drill_event
from infra.db.engine import Database
from infra.wire import DrillCommandType, DrillEventType
from infra.wire.envelope import Envelope
from tests.api.conftest import EXERCISE, Tokens
from tests.integration.db import drill_events as ev

API = "/api/v1"
OTHER = "EX-school_canteen-20260601080000-aaaa"
DISCUSSION: dict[str, Any] = {
    "current_phase": "first",
    "capabilities": [{"id": "coordination", "title": "指挥协调"}],
    "phases": [
        {"id": "first", "title": "接报", "state": "current", "questions": [{"id": "q_alert", "to": ["town_office"]}]},
        {"id": "after", "title": "善后", "state": "pending", "questions": [{"id": "q_summary", "to": ["cdc"]}]},
    ],
    "answers": [],
    "ratings": [],
}
PLAN = [
    {
        "issue": "未回答 not answered: 善后做什么？",
        "action": "组织培训",
        "owner": "cdc",
        "owner_name": "区疾控中心",
        "due": "2026-06-15",
        "source": "question:q_summary",
    }
]


@pytest.fixture
async def runs(db: Database) -> None:
    """The exercise's tabletop run (running), and another exercise's finished run with its plan."""
    await apply_drill_event(db, ev.updated(3, exercise_id=EXERCISE, discussion=DISCUSSION, awaiting_facilitator=True))
    finished = ev.updated(9, exercise_id=OTHER, state="finished", discussion=DISCUSSION, improvement_plan=PLAN)
    await apply_drill_event(db, finished)


@pytest.mark.usefixtures("runs")
async def test_a_participant_answers_for_their_own_unit_only(
    client: httpx.AsyncClient, tokens: Tokens, publisher: InMemoryPublisher
) -> None:
    url = f"{API}/drills/{EXERCISE}/questions/q_alert/answers"
    reply = await client.post(url, json={"text": "两小时内报告"}, headers=tokens.headers("drill_town"))
    assert reply.status_code == 202, reply.text
    value = publisher.find(reply.json()["command_id"]).value
    assert value["type"] == DrillCommandType.ANSWER_QUESTION
    assert {k: value["payload"][k] for k in ("question_id", "unit", "text")} == {
        "question_id": "q_alert",
        "unit": "town_office",
        "text": "两小时内报告",
    }
    other = await client.post(url, json={"text": "x", "unit": "cdc"}, headers=tokens.headers("drill_town"))
    assert other.status_code == 403 and "answers for town_office" in other.json()["detail"]


@pytest.mark.usefixtures("runs")
async def test_a_responder_outside_the_exercise_cannot_answer(client: httpx.AsyncClient, tokens: Tokens) -> None:
    url = f"{API}/drills/{EXERCISE}/questions/q_alert/answers"
    reply = await client.post(url, json={"text": "x"}, headers=tokens.role("unit_responder"))
    assert reply.status_code == 403 and "not a participant" in reply.json()["detail"]


@pytest.mark.usefixtures("runs")
async def test_an_evaluator_rates_and_nobody_else_does(
    client: httpx.AsyncClient, tokens: Tokens, publisher: InMemoryPublisher
) -> None:
    body = {"question_id": "q_alert", "rating": "M", "note": "未提时限"}
    url = f"{API}/drills/{EXERCISE}/observations"
    reply = await client.post(url, json=body, headers=tokens.headers("drill_evaluator"))
    assert reply.status_code == 202, reply.text
    value = publisher.find(reply.json()["command_id"]).value
    assert (value["type"], value["payload"]["rating"], value["payload"]["requested_by"]["user"]) == (
        DrillCommandType.RECORD_OBSERVATION,
        "M",
        "drill_evaluator",
    )
    assert (await client.post(url, json=body, headers=tokens.headers("controller"))).status_code == 403
    unknown = await client.post(url, json={**body, "question_id": "nope"}, headers=tokens.headers("drill_evaluator"))
    assert unknown.status_code == 404 and "no question 'nope'" in unknown.json()["detail"]
    both = await client.post(
        url, json={**body, "capability": "coordination"}, headers=tokens.headers("drill_evaluator")
    )
    assert both.status_code == 422


@pytest.mark.usefixtures("runs")
async def test_the_facilitator_advances_a_known_phase_of_a_running_run(
    client: httpx.AsyncClient, tokens: Tokens, publisher: InMemoryPublisher
) -> None:
    reply = await client.post(f"{API}/drills/{EXERCISE}/phases/first/advance", headers=tokens.headers("controller"))
    assert reply.status_code == 202, reply.text
    assert publisher.find(reply.json()["command_id"]).value["payload"]["phase_id"] == "first"
    unknown = await client.post(f"{API}/drills/{EXERCISE}/phases/nope/advance", headers=tokens.headers("controller"))
    assert unknown.status_code == 404
    over = await client.post(f"{API}/drills/{OTHER}/phases/first/advance", headers=tokens.role("commander"))
    assert over.status_code == 409


@pytest.mark.usefixtures("runs")
async def test_participants_read_the_discussion_of_their_exercise(client: httpx.AsyncClient, tokens: Tokens) -> None:
    reply = await client.get(f"{API}/drills/{EXERCISE}/discussion", headers=tokens.headers("drill_town"))
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert (body["awaiting_facilitator"], body["discussion"]["current_phase"]) == (True, "first")
    hidden = await client.get(f"{API}/drills/{OTHER}/discussion", headers=tokens.headers("drill_town"))
    assert hidden.status_code == 404


@pytest.mark.usefixtures("runs")
async def test_the_improvement_plan_is_csv_once_the_run_has_ended(client: httpx.AsyncClient, tokens: Tokens) -> None:
    reply = await client.get(f"{API}/drills/{OTHER}/improvement-plan.csv", headers=tokens.role("commander"))
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/csv")
    assert reply.text.splitlines() == [
        "issue,action,owner,owner_name,due,source,id,status",
        "未回答 not answered: 善后做什么？,组织培训,cdc,区疾控中心,2026-06-15,question:q_summary,ip-01,open",
    ]
    running = await client.get(f"{API}/drills/{EXERCISE}/improvement-plan.csv", headers=tokens.role("commander"))
    assert running.status_code == 404


@pytest.mark.usefixtures("runs")
async def test_the_plan_lists_each_item_with_its_status_once_the_run_has_ended(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    reply = await client.get(f"{API}/drills/{OTHER}/improvement-plan", headers=tokens.role("commander"))
    assert reply.status_code == 200, reply.text
    [item] = reply.json()["items"]
    assert (item["id"], item["owner"], item["status"], item["history"]) == ("ip-01", "cdc", "open", [])
    running = await client.get(f"{API}/drills/{EXERCISE}/improvement-plan", headers=tokens.role("commander"))
    assert running.status_code == 404
    hidden = await client.get(f"{API}/drills/{OTHER}/improvement-plan", headers=tokens.headers("drill_town"))
    assert hidden.status_code == 404


@pytest.mark.usefixtures("runs")
async def test_the_owner_unit_and_the_commander_track_an_item_and_others_may_not(
    client: httpx.AsyncClient, tokens: Tokens, publisher: InMemoryPublisher
) -> None:
    url = f"{API}/drills/{OTHER}/improvement-plan/ip-01"
    body = {"status": "in_progress", "note": "已制定培训计划"}
    mine = await client.post(url, json=body, headers=tokens.headers("cdc1"))
    assert mine.status_code == 202, mine.text
    value = publisher.find(mine.json()["command_id"]).value
    assert value["type"] == DrillCommandType.UPDATE_IMPROVEMENT_ITEM and value["exercise_id"] == OTHER
    assert {k: value["payload"][k] for k in ("item_id", "status", "note")} == {"item_id": "ip-01", **body}
    assert value["payload"]["requested_by"] == {"user": "cdc1", "roles": ["unit_responder"], "unit": "cdc"}
    chief = await client.post(url, json={"status": "done"}, headers=tokens.role("commander"))
    assert chief.status_code == 202, chief.text
    duty = await client.post(url, json=body, headers=tokens.role("duty_officer"))
    assert duty.status_code == 403 and "owner unit" in duty.json()["detail"]
    unknown = await client.post(
        f"{API}/drills/{OTHER}/improvement-plan/ip-09", json=body, headers=tokens.role("commander")
    )
    assert unknown.status_code == 404
    bad = await client.post(url, json={"status": "closed"}, headers=tokens.role("commander"))
    assert bad.status_code == 422
    same = await client.post(url, json={"status": "open"}, headers=tokens.role("commander"))
    assert same.status_code == 409


@pytest.mark.usefixtures("runs")
async def test_an_applied_item_update_is_projected_into_the_plan_and_its_csv(
    client: httpx.AsyncClient, tokens: Tokens, db: Database
) -> None:
    change = {
        "from": "open",
        "status": "in_progress",
        "note": "已培训",
        "by": "cdc1",
        "at": "2026-06-10T08:00:00+00:00",
    }
    item = {**PLAN[0], "id": "ip-01", "status": "in_progress", "history": [change]}
    event = Envelope.new(
        DrillEventType.IMPROVEMENT_ITEM_UPDATED,
        at=datetime(2026, 6, 10, 8, tzinfo=UTC),
        mode="exercise",
        payload={"exercise_id": OTHER, "item_id": "ip-01", "item": item},
        exercise_id=OTHER,
    )
    await apply_drill_event(db, event.to_dict())
    await apply_drill_event(db, event.to_dict())  # a replay changes nothing
    reply = await client.get(f"{API}/drills/{OTHER}/improvement-plan", headers=tokens.role("commander"))
    [tracked] = reply.json()["items"]
    assert (tracked["status"], tracked["history"]) == ("in_progress", [change])
    csv_reply = await client.get(f"{API}/drills/{OTHER}/improvement-plan.csv", headers=tokens.role("commander"))
    assert csv_reply.text.splitlines()[1].endswith(",ip-01,in_progress")
