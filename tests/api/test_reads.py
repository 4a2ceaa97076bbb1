"""Read endpoints: filters, cursor pages, one incident, timeline, tasks, notifications, and who sees what."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from infra.db.engine import Database
from infra.wire import EventType
from tests.api import world
from tests.api.conftest import Tokens
from tests.integration.db import seed


@pytest.fixture
async def w(db: Database) -> world.World:
    return await world.build(db)


def ids(reply: httpx.Response) -> list[str]:
    assert reply.status_code == 200, reply.text
    return [item["id"] for item in reply.json()["items"]]


async def test_actual_users_see_only_actual_incidents(
    client: httpx.AsyncClient, tokens: Tokens, w: world.World
) -> None:
    listed = ids(await client.get("/api/v1/incidents", headers=tokens.role("duty_officer")))
    assert sorted(listed) == sorted([w.actual, w.quiet])


async def test_a_district_commander_oversees_drills_too(
    client: httpx.AsyncClient, tokens: Tokens, w: world.World
) -> None:
    listed = ids(await client.get("/api/v1/incidents", headers=tokens.role("commander")))
    assert sorted(listed) == sorted([w.actual, w.drill, w.quiet])
    drills = ids(await client.get("/api/v1/incidents", params={"mode": "exercise"}, headers=tokens.role("commander")))
    assert drills == [w.drill]


async def test_exercise_users_see_only_their_exercise(
    client: httpx.AsyncClient, tokens: Tokens, w: world.World
) -> None:
    for user in ("controller", "drill_watcher"):
        assert ids(await client.get("/api/v1/incidents", headers=tokens.headers(user))) == [w.drill]
    assert (await client.get(f"/api/v1/incidents/{w.actual}", headers=tokens.headers("controller"))).status_code == 404


async def test_an_actual_observer_cannot_open_a_drill_incident(
    client: httpx.AsyncClient, tokens: Tokens, w: world.World
) -> None:
    reply = await client.get(f"/api/v1/incidents/{w.drill}", headers=tokens.role("observer"))
    assert reply.status_code == 404
    assert w.drill in reply.json()["detail"]


async def test_a_unit_responder_sees_only_incidents_with_its_steps(
    client: httpx.AsyncClient, tokens: Tokens, w: world.World
) -> None:
    assert ids(await client.get("/api/v1/incidents", headers=tokens.role("unit_responder"))) == [w.actual]
    assert (await client.get(f"/api/v1/incidents/{w.quiet}", headers=tokens.role("unit_responder"))).status_code == 404


async def test_a_unit_responder_sees_only_its_units_tasks(
    client: httpx.AsyncClient, tokens: Tokens, w: world.World
) -> None:
    reply = await client.get(f"/api/v1/incidents/{w.actual}/tasks", headers=tokens.role("unit_responder"))
    assert [t["key"] for t in reply.json()] == [w.task]
    everything = await client.get(f"/api/v1/incidents/{w.actual}/tasks", headers=tokens.role("duty_officer"))
    assert sorted(t["key"] for t in everything.json()) == sorted([w.task, w.other_task, w.alert])


async def test_a_unit_responder_may_not_read_timeline_or_notifications(
    client: httpx.AsyncClient, tokens: Tokens, w: world.World
) -> None:
    for part in ("timeline", "notifications"):
        reply = await client.get(f"/api/v1/incidents/{w.actual}/{part}", headers=tokens.role("unit_responder"))
        assert reply.status_code == 403
        assert "unit_responder" in reply.json()["detail"]


async def test_filters_narrow_the_list(client: httpx.AsyncClient, tokens: Tokens, w: world.World) -> None:
    headers = tokens.role("duty_officer")
    assert ids(await client.get("/api/v1/incidents", params={"level": "III"}, headers=headers)) == [w.actual]
    assert ids(await client.get("/api/v1/incidents", params={"town": "Hexi"}, headers=headers)) == [w.quiet]
    assert ids(await client.get("/api/v1/incidents", params={"status": "closed"}, headers=headers)) == []
    assert ids(await client.get("/api/v1/incidents", params={"mode": "exercise"}, headers=headers)) == []


async def test_the_time_range_filter(client: httpx.AsyncClient, tokens: Tokens, db: Database) -> None:
    await seed.add(db, *(seed.incident(f"inc-{h}", opened_at=seed.T0 + timedelta(hours=h)) for h in range(4)))
    params = {
        "opened_from": (seed.T0 + timedelta(hours=1)).isoformat(),
        "opened_to": (seed.T0 + timedelta(hours=3)).isoformat(),
    }
    assert ids(await client.get("/api/v1/incidents", params=params, headers=tokens.role("observer"))) == [
        "inc-2",
        "inc-1",
    ]


async def test_cursor_pages_cover_every_incident_once(client: httpx.AsyncClient, tokens: Tokens, db: Database) -> None:
    await seed.add(
        db, *(seed.incident(f"inc-{i:02d}", opened_at=seed.T0 + timedelta(minutes=i // 2)) for i in range(11))
    )
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, str | int] = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/v1/incidents", params=params, headers=tokens.role("observer"))).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"inc-{i:02d}" for i in reversed(range(11))]


async def test_a_forged_cursor_is_a_400_that_says_why(client: httpx.AsyncClient, tokens: Tokens) -> None:
    reply = await client.get(
        "/api/v1/incidents", params={"cursor": "bm90LWEtY3Vyc29y"}, headers=tokens.role("observer")
    )
    assert reply.status_code == 400
    assert "cursor" in reply.json()["detail"]


async def test_one_incident_has_history_facts_and_playbook(
    client: httpx.AsyncClient, tokens: Tokens, db: Database, w: world.World
) -> None:
    verified = {"facts": {"cases": 98}, "by": "duty", "reason": "lists reconciled", "at": seed.T0.isoformat()}
    await seed.add(db, seed.event(w.actual, 4, EventType.FACTS_VERIFIED, verified))
    body = (await client.get(f"/api/v1/incidents/{w.actual}", headers=tokens.role("observer"))).json()
    assert body["level"] == "III"
    assert body["playbook_id"] == "food_safety"
    assert body["playbook_version"] == "2026.1+abc"
    assert body["level_history"][0] | {"at": None} == {
        "from_level": "IV",
        "to_level": "III",
        "rule_id": "III.cases_100",
        "explanation": "≥100 harmed",
        "decided_by": None,
        "at": None,
    }
    assert body["verified"] == verified


async def test_an_unknown_incident_is_a_404_that_names_it(client: httpx.AsyncClient, tokens: Tokens) -> None:
    for path in ("", "/timeline", "/tasks", "/notifications", "/export/timeline.csv"):
        reply = await client.get(f"/api/v1/incidents/inc-nope{path}", headers=tokens.role("commander"))
        assert reply.status_code == 404
        assert "inc-nope" in reply.json()["detail"]


async def test_timeline_in_order_and_paged(client: httpx.AsyncClient, tokens: Tokens, w: world.World) -> None:
    headers = tokens.role("observer")
    events = (await client.get(f"/api/v1/incidents/{w.actual}/timeline", headers=headers)).json()
    assert [e["type"] for e in events] == [EventType.INCIDENT_OPENED, EventType.LEVEL_CHANGED, EventType.NOTE_ADDED]
    later = (
        await client.get(f"/api/v1/incidents/{w.actual}/timeline", params={"after_seq": 2}, headers=headers)
    ).json()
    assert [e["seq"] for e in later] == [3]


async def test_notifications_show_delivery_outcomes(client: httpx.AsyncClient, tokens: Tokens, w: world.World) -> None:
    body = (await client.get(f"/api/v1/incidents/{w.actual}/notifications", headers=tokens.role("duty_officer"))).json()
    assert sorted(n["status"] for n in body) == ["delivered", "failed"]


async def test_overdue_steps_are_flagged(client: httpx.AsyncClient, tokens: Tokens, w: world.World) -> None:
    tasks = (await client.get(f"/api/v1/incidents/{w.actual}/tasks", headers=tokens.role("duty_officer"))).json()
    assert all(t["overdue"] for t in tasks)  # seeded in 2026-06 with 2 h deadlines: long past
