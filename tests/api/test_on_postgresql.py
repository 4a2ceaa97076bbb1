"""The API on PostgreSQL: the same reads, commands and audit trail as on SQLite (the default)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from api.app import create_app
from api.publisher import InMemoryPublisher
from infra.db import users
from infra.db.drills import apply_drill_event
from infra.db.engine import Database
from infra.db.migrate import upgrade
from infra.settings import Settings
from playbooks import PlaybookLibrary
from playbooks.organisation import Organisation
from tests.api import world
from tests.integration.db import drill_events, seed
from tests.integration.db.conftest import postgres_url, reset_postgres

pytestmark = pytest.mark.postgres


@pytest.fixture
async def pg_client(
    settings: Settings, publisher: InMemoryPublisher, organisation: Organisation, library: PlaybookLibrary
) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str]]]:
    url = postgres_url()
    await reset_postgres(url)
    await upgrade(url)
    db = Database(url)
    try:
        await world.build(db)
        for event in (drill_events.updated(3), drill_events.updated(4, state="finished"), drill_events.report()):
            await apply_drill_event(db, event)
        await users.add_user(db, "li", roles=["commander"], now=seed.T0)
        token = await users.issue_token(db, "li", now=seed.T0)
    finally:
        await db.dispose()
    app = create_app(
        settings.model_copy(update={"database_url": url}),
        publisher=publisher,
        organisation=organisation,
        playbook_library=library,
    )
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://tocsin.test") as http,
    ):
        yield http, {"Authorization": f"Bearer {token}"}


async def test_reads_commands_and_audit_on_postgresql(pg_client: tuple[httpx.AsyncClient, dict[str, str]]) -> None:
    client, headers = pg_client
    w = world.World()
    page = (await client.get("/api/v1/incidents", params={"limit": 2}, headers=headers)).json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = (await client.get("/api/v1/incidents", params={"cursor": page["next_cursor"]}, headers=headers)).json()
    assert len(page["items"]) + len(rest["items"]) == 3
    detail = (await client.get(f"/api/v1/incidents/{w.actual}", headers=headers)).json()
    assert detail["level_history"][0]["to_level"] == "III"
    assert detail["opened_at"] == "2026-06-01T08:00:00Z"
    tasks = (await client.get(f"/api/v1/incidents/{w.actual}/tasks", headers=headers)).json()
    assert len(tasks) == 3
    reply = await client.post(
        f"/api/v1/incidents/{w.actual}/level", json={"level": "IV", "reason": "committee"}, headers=headers
    )
    assert reply.status_code == 202
    trail = (await client.get("/api/v1/audit", headers=headers)).json()["items"]
    assert trail[-1]["command_id"] == reply.json()["command_id"]
    metrics = (await client.get("/metrics", headers=headers)).text
    assert 'tocsin_incidents_open{level="III",status="active"} 1.0' in metrics
    assert (await client.get("/readyz")).json()["database"] == "ok"


async def test_drill_runs_on_postgresql(pg_client: tuple[httpx.AsyncClient, dict[str, str]]) -> None:
    client, headers = pg_client
    run = (await client.get(f"/api/v1/drills/{drill_events.EXERCISE}", headers=headers)).json()
    assert (run["state"], run["seq"], run["has_report"]) == ("finished", 4, True)
    assert (run["started_at"], run["ended_at"]) == ("2026-06-01T08:00:00Z", "2026-06-01T08:00:04Z")
    listed = (await client.get("/api/v1/drills", params={"state": "finished"}, headers=headers)).json()["items"]
    assert [r["exercise_id"] for r in listed] == [drill_events.EXERCISE]
    report = await client.get(f"/api/v1/drills/{drill_events.EXERCISE}/report", headers=headers)
    assert report.text == "# After-action report\n"
    refused = await client.post(f"/api/v1/drills/{drill_events.EXERCISE}/stop", headers=headers)
    assert refused.status_code == 409
