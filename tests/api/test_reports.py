"""POST /reports: on Kafka (through the real broker), who may report, exercise scope, a 503 when Kafka refuses,
and rejected input counted in the metrics."""

from __future__ import annotations

from typing import Any

import httpx

from api.publisher import InMemoryPublisher
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
    broker_client: httpx.AsyncClient, tokens: Tokens, broker_settings: Settings
) -> None:
    reply = await broker_client.post("/api/v1/reports", json=report("r-api-1"), headers=tokens.role("duty_officer"))
    assert reply.status_code == 202
    key, value = await find_message(
        broker_settings.kafka_bootstrap, broker_settings.topic("reports"), "r-api-1", field="report_id"
    )
    assert key == "r-api-1" and value["facts"]["cases"] == 12


async def test_the_report_is_published_as_sent_and_audited_with_where_it_landed(
    client: httpx.AsyncClient, tokens: Tokens, settings: Settings, publisher: InMemoryPublisher
) -> None:
    await publisher.send_json(settings.topic("reports"), "r-earlier", {"report_id": "r-earlier"})
    reply = await client.post("/api/v1/reports", json=report("r-api-2"), headers=tokens.role("duty_officer"))
    assert reply.status_code == 202
    sent = publisher.find("r-api-2", field="report_id")
    assert (sent.topic, sent.key) == (settings.topic("reports"), "r-api-2")
    assert (sent.value["source"], sent.value["location"]["town"], sent.value["facts"]["cases"]) == (
        "hospital",
        "Qingshan",
        12,
    )
    trail = (await client.get("/api/v1/audit", headers=tokens.role("commander"))).json()["items"]
    entry = trail[-1]
    assert (entry["command_type"], entry["command_id"], entry["topic"]) == ("Report", "r-api-2", sent.topic)
    assert (entry["payload"]["partition"], entry["payload"]["offset"]) == (0, 1)


async def test_when_kafka_refuses_a_report_it_is_503_and_not_counted_as_accepted(
    client: httpx.AsyncClient, tokens: Tokens, publisher: InMemoryPublisher
) -> None:
    publisher.fail("Kafka at kafka-1:9092 is unreachable")
    reply = await client.post("/api/v1/reports", json=report("r-down"), headers=tokens.role("duty_officer"))
    assert reply.status_code == 503
    assert "kafka-1:9092 is unreachable" in reply.json()["detail"]
    assert publisher.published == []
    metrics = (await client.get("/metrics", headers=tokens.role("observer"))).text
    assert 'tocsin_reports_total{outcome="accepted"}' not in metrics


async def test_an_observer_may_not_report(
    client: httpx.AsyncClient, tokens: Tokens, publisher: InMemoryPublisher
) -> None:
    reply = await client.post("/api/v1/reports", json=report("r-2"), headers=tokens.role("observer"))
    assert reply.status_code == 403
    assert publisher.published == []


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
