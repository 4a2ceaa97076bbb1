"""Kafka or PostgreSQL away: the API answers 503 in bounded time with a body that says what to do, never 500.

A report Kafka did not confirm is "in doubt" (the idempotent producer may still write it when the broker is back):
the body says so and that resending the same report_id is safe (a report is counted once, docs/adr/0025).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from api.deps import Services
from api.publisher import InMemoryPublisher, KafkaPublisher, PublishFailed
from infra.db.engine import Database
from tests.api import world
from tests.api.conftest import Tokens
from tests.api.test_reports import report


@pytest.fixture
async def w(db: Database) -> world.World:
    """Incidents in the test's database."""
    return await world.build(db)


UNREACHABLE_POSTGRES = "postgresql+asyncpg://tocsin:tocsin@127.0.0.1:1/tocsin"
"""A PostgreSQL URL on a closed port: every query fails as when the server is stopped."""


async def test_a_report_kafka_did_not_confirm_is_503_in_doubt_and_says_the_same_report_id_is_safe_to_resend(
    client: httpx.AsyncClient, tokens: Tokens, publisher: InMemoryPublisher
) -> None:
    publisher.fail("Kafka did not confirm the message on t.reports within 8 s", in_doubt=True)
    reply = await client.post("/api/v1/reports", json=report("r-doubt"), headers=tokens.role("duty_officer"))
    assert reply.status_code == 503
    assert reply.headers["Retry-After"] == "5"
    detail = reply.json()["detail"]
    assert "may or may not have been written (in doubt)" in detail
    assert "same report_id ('r-doubt')" in detail
    assert "counted once" in detail


async def test_a_report_kafka_never_received_is_503_and_says_it_was_not_written(
    client: httpx.AsyncClient, tokens: Tokens, publisher: InMemoryPublisher
) -> None:
    publisher.fail("Kafka at kafka-1:9092 is unreachable")
    reply = await client.post("/api/v1/reports", json=report("r-not-sent"), headers=tokens.role("duty_officer"))
    assert reply.status_code == 503
    assert "It was not written" in reply.json()["detail"]
    metrics = (await client.get("/metrics", headers=tokens.role("observer"))).text
    assert 'tocsin_reports_total{outcome="unavailable"} 1.0' in metrics


async def test_a_command_kafka_did_not_confirm_is_503_audited_in_doubt_and_says_to_look_before_repeating(
    client: httpx.AsyncClient, tokens: Tokens, w: world.World, publisher: InMemoryPublisher
) -> None:
    publisher.fail("Kafka did not confirm the message", in_doubt=True)
    reply = await client.post(
        f"/api/v1/incidents/{w.actual}/notes", json={"text": "called the school"}, headers=tokens.role("duty_officer")
    )
    assert reply.status_code == 503
    assert "in doubt" in reply.json()["detail"] and "timeline before sending it again" in reply.json()["detail"]
    trail = await client.get("/api/v1/audit", params={"incident_id": w.actual}, headers=tokens.role("commander"))
    assert trail.json()["items"][-1]["outcome"] == "in_doubt"


@contextlib.asynccontextmanager
async def silent_broker() -> AsyncIterator[str]:
    """A TCP port that accepts connections and never answers: a hung broker, the worst case for a client."""
    held: list[asyncio.StreamWriter] = []

    async def hold(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"127.0.0.1:{port}"
    finally:
        for writer in held:
            writer.close()
        server.close()


async def test_the_kafka_publisher_gives_up_on_a_broker_that_never_answers_instead_of_hanging() -> None:
    async with silent_broker() as bootstrap:
        publisher = KafkaPublisher(bootstrap, timeout=0.5)
        try:
            with pytest.raises(PublishFailed, match="unreachable") as failed:
                await asyncio.wait_for(publisher.send_json("t", "k", {"id": "x"}), timeout=60)
        finally:
            await publisher.close()
    assert failed.value.in_doubt is False


async def test_reads_answer_503_not_500_while_postgresql_is_unreachable(
    app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
) -> None:
    services: Services = app.state.services
    working, services.db = services.db, Database(UNREACHABLE_POSTGRES)
    try:
        replies = [
            await client.get(path, headers=tokens.role("duty_officer"))
            for path in ("/api/v1/incidents", "/api/v1/incidents/INC-1", "/api/v1/audit")
        ]
    finally:
        await services.db.dispose()
        services.db = working
    assert [r.status_code for r in replies] == [503, 503, 503]
    assert {r.json()["detail"] for r in replies} == {"the database is unavailable; try again shortly"}
    assert (await client.get("/api/v1/incidents", headers=tokens.role("duty_officer"))).status_code == 200
