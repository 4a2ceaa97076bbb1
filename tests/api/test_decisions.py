"""What a decision will do before it is taken: the level preview and the termination criteria with their signals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from infra.db.engine import Database
from infra.wire import EventType
from tests.api.conftest import Tokens
from tests.integration.db import seed


async def get(client: httpx.AsyncClient, path: str, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    reply = await client.get(path, params=params, headers=headers)
    assert reply.status_code == 200, reply.text
    body: dict[str, Any] = reply.json()
    return body


async def test_raising_a_level_previews_the_steps_it_starts_and_whom_it_pages(
    client: httpx.AsyncClient, tokens: Tokens, db: Database
) -> None:
    await seed.add(db, seed.incident("inc-p", level="IV", facts={"cases": 40}))
    preview = await get(client, "/api/v1/incidents/inc-p/level-preview", tokens.role("duty_officer"), level="II")
    assert (preview["from_level"], preview["to_level"], preview["is_raise"]) == ("IV", "II", True)
    assert preview["refusal"] is None
    assert preview["start"], "a raise to II starts the level's steps"
    assert all(step["owner_name"] and step["due_at"] for step in preview["start"])
    assert preview["paged"], "the new alerts go to someone"
    assert preview["lead"]


async def test_the_preview_does_not_plan_a_step_that_is_already_running(
    client: httpx.AsyncClient, tokens: Tokens, db: Database
) -> None:
    await seed.add(db, seed.incident("inc-q", level="IV"))
    first = await get(client, "/api/v1/incidents/inc-q/level-preview", tokens.role("duty_officer"), level="III")
    running = first["start"][0]["key"]
    await seed.add(db, seed.action("inc-q", running))
    again = await get(client, "/api/v1/incidents/inc-q/level-preview", tokens.role("duty_officer"), level="III")
    assert running not in {s["key"] for s in again["start"]}


async def test_a_duty_officer_is_told_before_lowering_that_only_a_commander_may(
    client: httpx.AsyncClient, tokens: Tokens, db: Database
) -> None:
    await seed.add(db, seed.incident("inc-l", level="III"))
    officer = await get(client, "/api/v1/incidents/inc-l/level-preview", tokens.role("duty_officer"), level="IV")
    assert officer["refusal"] and "commander" in officer["refusal"]
    assert officer["start"] == []
    chief = await get(client, "/api/v1/incidents/inc-l/level-preview", tokens.role("commander"), level="IV")
    assert "commander" not in (chief["refusal"] or "")
    assert chief["is_raise"] is False


async def test_the_same_level_is_refused_in_the_preview(
    client: httpx.AsyncClient, tokens: Tokens, db: Database
) -> None:
    await seed.add(db, seed.incident("inc-s", level="III"))
    same = await get(client, "/api/v1/incidents/inc-s/level-preview", tokens.role("commander"), level="III")
    assert same["refusal"] == "the level is already III"


async def test_termination_lists_each_criterion_with_its_signal_and_state(
    client: httpx.AsyncClient, tokens: Tokens, db: Database
) -> None:
    now = datetime.now(UTC)
    stable = (now - timedelta(hours=30)).isoformat()
    await seed.add(
        db,
        seed.incident("inc-t", first_report_at=now - timedelta(days=5), opened_at=now - timedelta(days=5)),
        seed.event(
            "inc-t",
            4,
            EventType.TERMINATION_SIGNALS_UPDATED,
            {"signals": {"site_controlled": True, "patients_stable_since": stable}, "by": "duty"},
        ),
    )
    state = await get(client, "/api/v1/incidents/inc-t/termination", tokens.role("duty_officer"))
    by_id = {c["id"]: c for c in state["criteria"]}
    assert by_id["site_controlled"]["holds"] is True
    assert by_id["site_controlled"]["kind"] == "confirmed"
    assert by_id["patients_stable"]["signal"] == "patients_stable_since"
    assert by_id["patients_stable"]["holds"] is True
    assert by_id["no_new_cases"]["holds"] is True, "five days without a case is past the 72 h incubation"
    assert by_id["hazards_removed"]["holds"] is False
    assert by_id["approved"]["settable"] is False
    assert state["missing"] == ["hazards_removed"]
    assert state["ready"] is False


async def test_a_recent_case_keeps_the_incubation_criterion_open(
    client: httpx.AsyncClient, tokens: Tokens, db: Database
) -> None:
    now = datetime.now(UTC)
    await seed.add(
        db,
        seed.incident("inc-c", first_report_at=now - timedelta(days=5), opened_at=now - timedelta(days=5)),
        seed.event(
            "inc-c",
            2,
            EventType.REPORT_RECEIVED,
            {"source": "hospital", "reported_at": (now - timedelta(hours=2)).isoformat(), "facts": {"cases": 40}},
        ),
    )
    state = await get(client, "/api/v1/incidents/inc-c/termination", tokens.role("duty_officer"))
    assert {c["id"]: c["holds"] for c in state["criteria"]}["no_new_cases"] is False


async def test_previews_of_an_unknown_incident_are_404(client: httpx.AsyncClient, tokens: Tokens) -> None:
    headers = tokens.role("duty_officer")
    assert (await client.get("/api/v1/incidents/nope/termination", headers=headers)).status_code == 404
    reply = await client.get("/api/v1/incidents/nope/level-preview", params={"level": "I"}, headers=headers)
    assert reply.status_code == 404


async def test_a_playbook_s_names_turn_ids_into_words(client: httpx.AsyncClient, tokens: Tokens) -> None:
    names = await get(client, "/api/v1/playbooks/food_safety/names", tokens.role("observer"))
    assert names["units"]["cdc"] == "区疾控中心"
    assert names["steps"]["notify_leading_group"] == "通知领导小组及成员单位启动应急响应"
    assert names["criteria"]["site_controlled"] == "现场、可疑食品得到有效控制"
    assert names["rules"]["II.prefectures"] == "跨地市"
    missing = await client.get("/api/v1/playbooks/nope/names", headers=tokens.role("observer"))
    assert missing.status_code == 404


def assessment(recommendation: str, at: datetime) -> dict[str, Any]:
    return {
        "id": f"as-{recommendation}",
        "experts": ["王教授（市疾控中心）"],
        "conclusion": "病例已得到控制",
        "recommendation": recommendation,
        "level": None,
        "assessed_at": at.isoformat(),
        "recorded_by": "chief",
        "recorded_at": at.isoformat(),
    }


async def test_termination_waits_for_an_expert_assessment_recommending_it(
    client: httpx.AsyncClient, tokens: Tokens, db: Database
) -> None:
    now = datetime.now(UTC)
    await seed.add(
        db, seed.incident("inc-x", first_report_at=now - timedelta(days=5), opened_at=now - timedelta(days=5))
    )
    before = await get(client, "/api/v1/incidents/inc-x/termination", tokens.role("commander"))
    assert (before["assessment_required"], before["assessment_ok"]) == (True, False)
    await seed.add(db, seed.event("inc-x", 9, EventType.ASSESSMENT_RECORDED, assessment("terminate", now)))
    after = await get(client, "/api/v1/incidents/inc-x/termination", tokens.role("commander"))
    assert after["assessment_ok"] is True


async def test_lowering_is_refused_in_the_preview_until_the_experts_recommend_it(
    client: httpx.AsyncClient, tokens: Tokens, db: Database
) -> None:
    now = datetime.now(UTC)
    await seed.add(db, seed.incident("inc-y", level="III"))
    before = await get(client, "/api/v1/incidents/inc-y/level-preview", tokens.role("commander"), level="IV")
    assert before["needs_assessment"] is True
    assert before["refusal"]
    await seed.add(db, seed.event("inc-y", 9, EventType.ASSESSMENT_RECORDED, assessment("lower_level", now)))
    after = await get(client, "/api/v1/incidents/inc-y/level-preview", tokens.role("commander"), level="IV")
    assert (after["needs_assessment"], after["refusal"]) == (False, None)
