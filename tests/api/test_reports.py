"""POST /reports: who may report, exercise scope, and rejected input counted in the metrics."""

from __future__ import annotations

from typing import Any

import httpx

from infra.settings import Settings
from tests.api.conftest import EXERCISE, Tokens
from tests.api.kafka import find_message


def report(report_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "report_id": report_id,
        "source": "hospital",
        "reported_at": "2026-06-01T09:00:00+08:00",
        "location": {"venue": "No. 3 Primary School canteen", "town": "Qingshan"},
        "facts": {"cases": 12},
        **extra,
    }


async def test_a_duty_officer_reports_and_it_is_on_kafka(
    client: httpx.AsyncClient, tokens: Tokens, settings: Settings
) -> None:
    reply = await client.post("/api/v1/reports", json=report("r-api-1"), headers=tokens.role("duty_officer"))
    assert reply.status_code == 202
    key, value = await find_message(settings.kafka_bootstrap, settings.topic("reports"), "r-api-1", field="report_id")
    assert key == "r-api-1" and value["facts"]["cases"] == 12


async def test_an_observer_may_not_report(client: httpx.AsyncClient, tokens: Tokens) -> None:
    reply = await client.post("/api/v1/reports", json=report("r-2"), headers=tokens.role("observer"))
    assert reply.status_code == 403


async def test_exercise_users_report_only_into_their_exercise(client: httpx.AsyncClient, tokens: Tokens) -> None:
    actual = await client.post("/api/v1/reports", json=report("r-3"), headers=tokens.headers("controller"))
    assert actual.status_code == 403
    assert EXERCISE in actual.json()["detail"]
    drill = report("r-4", mode="exercise", exercise_id=EXERCISE)
    assert (await client.post("/api/v1/reports", json=drill, headers=tokens.headers("controller"))).status_code == 202


async def test_actual_users_may_not_inject_drill_reports(client: httpx.AsyncClient, tokens: Tokens) -> None:
    drill = report("r-5", mode="exercise", exercise_id=EXERCISE)
    assert (await client.post("/api/v1/reports", json=drill, headers=tokens.role("duty_officer"))).status_code == 403


async def test_an_invalid_report_is_a_422_that_says_why_and_is_counted(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    bad = report("r-6")
    del bad["location"]
    reply = await client.post("/api/v1/reports", json=bad, headers=tokens.role("duty_officer"))
    assert reply.status_code == 422
    assert any("location" in str(e["loc"]) for e in reply.json()["detail"])
    metrics = (await client.get("/metrics", headers=tokens.role("observer"))).text
    assert 'tocsin_reports_total{outcome="rejected"} 1.0' in metrics
