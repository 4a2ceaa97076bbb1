"""Operations: readiness, metrics (exercises left out), and the start-up refusal of an unmigrated database."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from api.app import create_app
from infra.db.engine import Database
from infra.db.migrate import SchemaNotMigrated
from infra.settings import Settings
from infra.wire import CommandType
from tests.api import world
from tests.api.conftest import Tokens
from tests.integration.db import seed


async def test_ready_when_kafka_and_the_database_answer(broker_client: httpx.AsyncClient) -> None:
    reply = await broker_client.get("/readyz")
    assert reply.status_code == 200
    assert reply.json() == {"status": "ready", "database": "ok", "kafka": "ok"}


async def test_not_ready_names_what_is_down(tmp_path: Path, db: Database, settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"kafka_bootstrap": "127.0.0.1:1"}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            reply = await http.get("/readyz")
    assert reply.status_code == 503
    assert reply.json()["kafka"] == "unreachable"


async def test_the_api_refuses_to_start_on_an_unmigrated_database(tmp_path: Path, settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"database_url": f"sqlite+aiosqlite:///{tmp_path / 'new.db'}"}))
    with pytest.raises(SchemaNotMigrated, match="run `tocsin db upgrade` first"):
        async with app.router.lifespan_context(app):
            pass


async def test_metrics_count_actual_incidents_and_leave_drills_out(
    client: httpx.AsyncClient, tokens: Tokens, db: Database
) -> None:
    await world.build(db)
    await seed.add(db, seed.notification("inc-drill", "x", status="failed", mode="exercise"))
    await client.post("/api/v1/incidents/inc-school/notes", json={"text": "x"}, headers=tokens.role("duty_officer"))
    reply = await client.get("/metrics", headers=tokens.role("observer"))
    assert reply.headers["content-type"].startswith("text/plain")
    text = reply.text
    assert 'tocsin_incidents_open{level="III",status="active"} 1.0' in text
    assert 'tocsin_incidents_open{level="IV"' not in text  # the only level-IV incident is a drill
    assert 'tocsin_notification_deliveries{channel="sms",status="failed"} 1.0' in text
    assert 'tocsin_overdue_items{kind="task"} 2.0' in text
    assert f'tocsin_commands_total{{command="{CommandType.ADD_NOTE}",outcome="accepted"}} 1.0' in text


async def test_metrics_need_a_token(client: httpx.AsyncClient) -> None:
    assert (await client.get("/metrics")).status_code == 401
