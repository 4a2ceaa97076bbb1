"""Exports of an incident's timeline: CSV, JSON and the ICS 214 activity log."""

from __future__ import annotations

import csv
import io

import httpx
import pytest

from infra.db.engine import Database
from infra.wire import EventType
from tests.api import world
from tests.api.conftest import Tokens


@pytest.fixture
async def w(db: Database) -> world.World:
    return await world.build(db)


async def test_timeline_as_csv(client: httpx.AsyncClient, tokens: Tokens, w: world.World) -> None:
    reply = await client.get(f"/api/v1/incidents/{w.actual}/export/timeline.csv", headers=tokens.role("observer"))
    assert reply.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(reply.text)))
    assert [r["type"] for r in rows] == [EventType.INCIDENT_OPENED, EventType.LEVEL_CHANGED, EventType.NOTE_ADDED]
    assert rows[2]["by"] == "duty" and rows[2]["summary"] == "canteen sealed"


async def test_timeline_as_json(client: httpx.AsyncClient, tokens: Tokens, w: world.World) -> None:
    body = (
        await client.get(f"/api/v1/incidents/{w.actual}/export/timeline.json", headers=tokens.role("observer"))
    ).json()
    assert body["incident"]["id"] == w.actual
    assert body["events"][1]["summary"] == "level IV → III: ≥100 harmed"


async def test_ics214_activity_log(client: httpx.AsyncClient, tokens: Tokens, w: world.World) -> None:
    log = (await client.get(f"/api/v1/incidents/{w.actual}/export/ics214", headers=tokens.role("commander"))).json()
    assert log["form"] == "ICS 214 Activity Log"
    assert log["8_prepared_by"]["name"] == "chief"
    assert len(log["6_activity_log"]) == 3
    as_csv = await client.get(
        f"/api/v1/incidents/{w.actual}/export/ics214", params={"format": "csv"}, headers=tokens.role("commander")
    )
    assert as_csv.text.splitlines()[0] == "date_time,notable_activities,by,event"


async def test_a_drill_log_is_marked_as_an_exercise(client: httpx.AsyncClient, tokens: Tokens, w: world.World) -> None:
    log = (await client.get(f"/api/v1/incidents/{w.drill}/export/ics214", headers=tokens.headers("controller"))).json()
    assert log["1_incident_name"].startswith("【演练】 EXERCISE")
