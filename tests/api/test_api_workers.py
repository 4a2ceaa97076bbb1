"""`tocsin api` with TOCSIN_API_WORKERS=2: each worker process runs its own lifespan (database engine, Kafka
producer, roster follower), and reads, the live feed and metrics work whichever process answers.

Real processes on the real broker (bench/platform.py); each check uses fresh connections, so the kernel hands
them to both workers.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from bench.api import INCIDENT_ID, measure_api_get, seed_incident
from bench.platform import Platform
from infra.kafka.admin import ensure_topics
from infra.kafka.security import client_options
from infra.wire import Envelope, EventType

pytestmark = pytest.mark.subprocess

WORKERS = 2
CALLS = 12
"""Fresh connections per check: enough that both workers answer some (the kernel spreads accepts)."""


async def publish_note(platform: Platform, incident_id: str) -> Envelope:
    """Publish one NoteAdded event of `incident_id` on the platform's (one-partition) incident-events topic."""
    topic = platform.topic("incident-events")
    await ensure_topics(platform.bootstrap, [topic], 1)
    note = Envelope.new(
        EventType.NOTE_ADDED,
        at=datetime.now(UTC),
        mode="actual",
        payload={"seq": 9, "event": {"text": "workers test"}, "incident": {"id": incident_id}},
        incident_id=incident_id,
    )
    producer = AIOKafkaProducer(**client_options(platform.bootstrap), acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(topic, note.to_json(), key=incident_id.encode())
    finally:
        await producer.stop()
    return note


@pytest.fixture(scope="module")
def platform(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """An API of two worker processes (no stream worker) on a database with one incident."""
    running = Platform(
        bootstrap=kafka_bootstrap,
        workdir=tmp_path_factory.mktemp("api-workers"),
        extra_env={"TOCSIN_API_WORKERS": str(WORKERS)},
    )
    try:
        running.create_api_user()
        asyncio.run(seed_incident(running.env["TOCSIN_DATABASE_URL"]))
        running.start("api")
        running.wait_ready()
        yield running
    finally:
        running.stop_all()


@pytest.fixture(scope="module")
def incident_id() -> str:
    """The incident `seed_incident` wrote."""
    return INCIDENT_ID


def fresh_get(platform: Platform, path: str, **params: str) -> httpx.Response:
    """GET `path` over a new connection (a new client each time)."""
    with platform.client() as client:
        return client.get(path, params=params)


def test_every_worker_process_starts_its_own_app(platform: Platform) -> None:
    def both_started() -> str | None:  # /readyz answers as soon as one of them is up
        text = (platform.workdir / "api.log").read_text(errors="replace")
        return text if text.count("Application startup complete") >= WORKERS else None

    log = platform.wait_for(both_started, timeout=120, what=f"{WORKERS} API processes to start")
    started = set(re.findall(r"Started server process \[(\d+)\]", log))
    assert len(started) == WORKERS, log[-3000:]
    assert log.count("Application startup complete") == WORKERS
    children = subprocess.run(
        ["pgrep", "-P", str(platform.processes["api"].pid)], capture_output=True, text=True, check=False
    ).stdout.split()
    assert set(started) <= set(children)


def test_reads_work_on_every_worker(platform: Platform, incident_id: str) -> None:
    replies = [fresh_get(platform, f"/api/v1/incidents/{incident_id}") for _ in range(CALLS)]
    assert [r.status_code for r in replies] == [200] * CALLS
    assert {r.json()["level"] for r in replies} == {"III"}
    assert all(len(r.json()["level_history"]) == 1 for r in replies)


def test_the_live_feed_works_on_every_worker(platform: Platform, incident_id: str) -> None:
    note = asyncio.run(publish_note(platform, incident_id))
    for _ in range(CALLS // 2):
        reply = fresh_get(platform, "/api/v1/events/stream", resume="0:0", max_events="1")
        assert reply.status_code == 200
        assert reply.headers["content-type"].startswith("text/event-stream")
        data = [line.removeprefix("data:").strip() for line in reply.text.splitlines() if line.startswith("data:")]
        assert len(data) == 1, reply.text
        assert json.loads(data[0])["id"] == note.id


def test_metrics_are_served_by_every_worker(platform: Platform) -> None:
    replies = [fresh_get(platform, "/metrics") for _ in range(CALLS)]
    assert [r.status_code for r in replies] == [200] * CALLS
    assert all("tocsin_incidents_open" in r.text for r in replies)


def test_the_read_benchmark_reports_answers_latencies_and_errors(platform: Platform, incident_id: str) -> None:
    figures = asyncio.run(measure_api_get(platform.base_url, platform.token, incident_id, rate=40, seconds=0.5))
    assert set(figures) == {"rps", "p50_ms", "p99_ms", "errors"}
    assert figures["errors"] == 0
    assert figures["rps"] > 0
    assert 0 < figures["p50_ms"] <= figures["p99_ms"]
    missing = asyncio.run(measure_api_get(platform.base_url, platform.token, "inc-nope", rate=40, seconds=0.25))
    assert (missing["errors"], missing["rps"], missing["p50_ms"]) == (10, 0, None)  # 404s are errors


def test_the_read_benchmark_loads_only_this_machine() -> None:
    with pytest.raises(ValueError, match="only an API on this machine"):
        asyncio.run(measure_api_get("http://192.0.2.1:8000", "t", "inc", rate=1, seconds=1))
