"""CSV exports neutralise spreadsheet formulas (OWASP: a leading ' before = + - @ tab CR), and /readyz says which
dependency is down without the exception's class or message, which go to the log only."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import httpx
import pytest
import structlog
from fastapi import FastAPI

from infra.db.engine import Database
from tests.api import world
from tests.api.conftest import Tokens
from tests.integration.db import seed

HOSTILE = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\r=1"]


@pytest.fixture
async def w(db: Database) -> world.World:
    built = await world.build(db)
    await seed.add(
        db,
        *[
            seed.event(built.actual, 4 + n, "NoteAdded", {"text": t, "by": "=cmd|' /C calc'!A0"})
            for n, t in enumerate(HOSTILE)
        ],
    )
    return built


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


async def test_the_timeline_csv_neutralises_cells_that_a_spreadsheet_would_run(
    client: httpx.AsyncClient, tokens: Tokens, w: world.World
) -> None:
    reply = await client.get(f"/api/v1/incidents/{w.actual}/export/timeline.csv", headers=tokens.role("observer"))
    notes = [row for row in _rows(reply.text) if row["type"] == "NoteAdded"]
    assert [row["summary"] for row in notes] == ["canteen sealed", *(f"'{text}" for text in HOSTILE)]
    assert {row["by"] for row in notes[1:]} == {"'=cmd|' /C calc'!A0"}


async def test_the_ics214_csv_neutralises_them_too(client: httpx.AsyncClient, tokens: Tokens, w: world.World) -> None:
    reply = await client.get(
        f"/api/v1/incidents/{w.actual}/export/ics214", params={"format": "csv"}, headers=tokens.role("commander")
    )
    lines = [row["notable_activities"] for row in _rows(reply.text)][-len(HOSTILE) :]
    assert lines == [f"'{text}" for text in HOSTILE]


async def test_the_json_export_keeps_the_text_as_written(
    client: httpx.AsyncClient, tokens: Tokens, w: world.World
) -> None:
    body = (
        await client.get(f"/api/v1/incidents/{w.actual}/export/timeline.json", headers=tokens.role("observer"))
    ).json()
    assert [e["summary"] for e in body["events"]][-len(HOSTILE) :] == HOSTILE


async def test_readyz_names_the_database_as_down_without_exception_details(
    tmp_path: Path, db: Database, memory_app: FastAPI
) -> None:
    async with memory_app.router.lifespan_context(memory_app):
        services = memory_app.state.services
        (tmp_path / "a-directory.db").mkdir()  # SQLite cannot open it: the database is down
        healthy, services.db = services.db, Database(f"sqlite+aiosqlite:///{tmp_path / 'a-directory.db'}")
        try:
            transport = httpx.ASGITransport(app=memory_app)
            with structlog.testing.capture_logs() as logs:
                async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
                    reply = await http.get("/readyz")
        finally:
            await services.db.dispose()
            services.db = healthy
    assert reply.status_code == 503
    assert reply.json() == {"status": "not ready", "database": "unreachable", "kafka": "unreachable"}
    assert "Error" not in reply.text and "sqlite" not in reply.text
    [logged] = [entry for entry in logs if entry["event"] == "readyz.database_unreachable"]
    assert logged["exc_info"] is True  # the details go to the operator's log
