"""GET /incidents/{id}/cases: the case line list, for roles that may see personal data, as JSON or CSV."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import httpx
import pytest

from infra.db.engine import Database
from infra.db.models import CaseRow
from tests.api import world
from tests.api.conftest import Tokens
from tests.integration.db import seed


def person(incident_id: str, key: str, *, hours: int, status: str = "ill", village: str = "桥坑社区") -> CaseRow:
    return CaseRow(
        incident_id=incident_id,
        person_key=key,
        onset=seed.T0 - timedelta(hours=hours),
        town="城关街道",
        village=village,
        county="990101",
        status=status,
        age=9,
        sex="male",
        symptoms=["呕吐", "腹泻"],
        source="hospital:区人民医院",
        report_id="r-7",
        reported_at=seed.T0,
        mode="actual",
        updated_seq=3,
    )


@pytest.fixture
async def w(db: Database) -> world.World:
    built = await world.build(db)
    await seed.add(
        db,
        person(built.actual, "h:0002", hours=2, status="hospitalized"),
        person(built.actual, "h:0001", hours=5, village='=HYPERLINK("http://x")'),
    )
    return built


@pytest.mark.parametrize("role", ["duty_officer", "commander"])
async def test_personal_data_roles_read_the_list_by_onset(
    client: httpx.AsyncClient, tokens: Tokens, w: world.World, role: str
) -> None:
    reply = await client.get(f"/api/v1/incidents/{w.actual}/cases", headers=tokens.role(role))
    assert reply.status_code == 200
    body = reply.json()
    assert body["count"] == 2
    assert [(c["person_key"], c["status"]) for c in body["cases"]] == [("h:0001", "ill"), ("h:0002", "hospitalized")]
    assert body["cases"][0]["symptoms"] == ["呕吐", "腹泻"]


@pytest.mark.parametrize("role", ["observer", "unit_responder"])
async def test_other_roles_are_refused_naming_the_personal_data_rule(
    client: httpx.AsyncClient, tokens: Tokens, w: world.World, role: str
) -> None:
    reply = await client.get(f"/api/v1/incidents/{w.actual}/cases", headers=tokens.role(role))
    assert reply.status_code == 403
    assert "personal data" in reply.text


async def test_the_csv_export_neutralises_formula_cells(
    client: httpx.AsyncClient, tokens: Tokens, w: world.World
) -> None:
    reply = await client.get(
        f"/api/v1/incidents/{w.actual}/cases", params={"format": "csv"}, headers=tokens.role("duty_officer")
    )
    assert reply.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(reply.text)))
    assert [r["person_key"] for r in rows] == ["h:0001", "h:0002"]
    assert rows[0]["village"] == '\'=HYPERLINK("http://x")'
    assert rows[0]["symptoms"] == "呕吐; 腹泻"


async def test_an_unknown_incident_is_404(client: httpx.AsyncClient, tokens: Tokens, w: world.World) -> None:
    reply = await client.get("/api/v1/incidents/inc-nope/cases", headers=tokens.role("commander"))
    assert reply.status_code == 404


async def test_the_venue_type_vocabulary_lists_codes_with_labels(
    client: httpx.AsyncClient, tokens: Tokens, w: world.World
) -> None:
    reply = await client.get("/api/v1/vocabulary/venue-types", headers=tokens.role("observer"))
    types = {v["code"]: v for v in reply.json()["venue_types"]}
    assert types["kindergarten"]["label"] == "托幼机构"
    assert "学校食堂" in types["school"]["aliases"]
