"""Every broker down: the API answers reports and commands with 503 in bounded time, and a resent report counts once.

A broker of this test's own (its own data dir and ports; the suite's shared broker is never stopped), the real API
and worker processes on it. With the broker stopped, a report and a command get 503 (the client waits up to 60 s;
the API's bound is TOCSIN_KAFKA_PUBLISH_TIMEOUT, 3 s here) saying whether they may still be written. Once the broker
is back, the reporter resends the same report_id until 202, and the report is on exactly one incident, counted once
— whether or not the first, in-doubt attempt was written too (docs/adr/0025).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

from bench.receivers import free_port_run
from infra.kafka.broker import LocalBroker
from infra.settings import Settings
from infra.wire import EventType
from tests.e2e.platform import Platform, incident_for_venue, timeline
from tests.factories import report_dict

pytestmark = [pytest.mark.e2e, pytest.mark.subprocess]

log = structlog.get_logger(__name__)


@pytest.fixture
def platform_on_own_broker(tmp_path: Path) -> Iterator[tuple[Platform, LocalBroker]]:
    """The API and a worker on a secured broker of this test's own; all stopped at the end."""
    broker = LocalBroker(Settings(data_dir=tmp_path / "kafka-home", kafka_bootstrap=f"127.0.0.1:{free_port_run(2)}"))
    broker.start(timeout=180)
    workdir = tmp_path / "platform"
    workdir.mkdir()
    platform = Platform(
        bootstrap=broker.bootstrap,
        workdir=workdir,
        credentials=broker.credentials_dir,
        extra_env={"TOCSIN_KAFKA_PUBLISH_TIMEOUT": "3"},
    )
    try:
        platform.create_api_user()
        platform.start("api")
        platform.start("worker")
        platform.wait_ready(timeout=240)
        platform.wait_worker_ready(timeout=240)
        yield platform, broker
    finally:
        platform.stop_all()
        broker.stop()


def test_with_kafka_down_reports_and_commands_get_503_and_a_resent_report_counts_once(
    platform_on_own_broker: tuple[Platform, LocalBroker],
) -> None:
    platform, broker = platform_on_own_broker
    first = report_dict(source="hospital", venue_type="restaurant", facts={"cases": 35})
    venue = first["location"]["venue"]
    with platform.client() as client:
        assert client.post("/api/v1/reports", json=first).status_code == 202
        incident = platform.wait_for(lambda: incident_for_venue(platform, venue), what="the incident", timeout=120)

        broker.stop()
        second = report_dict(
            source="cdc", venue_type="restaurant", location=first["location"], facts={"cases": 5},
            reporter={"name": "流调员", "unit": "区疾控中心"},
        )  # fmt: skip
        started = time.monotonic()
        down = client.post("/api/v1/reports", json=second, timeout=60)
        report_seconds = time.monotonic() - started
        started = time.monotonic()
        note = client.post(f"/api/v1/incidents/{incident['id']}/notes", json={"text": "called"}, timeout=60)
        command_seconds = time.monotonic() - started
        log.info("figure.kafka_down", report_503_s=round(report_seconds, 2), command_503_s=round(command_seconds, 2))

        assert (down.status_code, note.status_code) == (503, 503), (down.text, note.text)
        assert f"same report_id ({second['report_id']!r})" in down.json()["detail"]
        assert "counted once" in down.json()["detail"]

        broker.start(timeout=180)
        platform.wait_for(
            lambda: client.post("/api/v1/reports", json=second, timeout=60).status_code == 202,
            what="the resent report to be accepted",
            timeout=180,
        )

    def counted() -> list[str] | None:
        received = [e["data"]["report_id"] for e in timeline(platform, incident["id"], EventType.REPORT_RECEIVED)]
        return received if second["report_id"] in received else None

    received = platform.wait_for(counted, what="the resent report on the incident", timeout=180)
    time.sleep(5)  # any late duplicate (the in-doubt first attempt) has been processed by now
    received = counted() or received
    assert sorted(received) == sorted([first["report_id"], second["report_id"]])
    found = incident_for_venue(platform, venue)
    assert found is not None and found["report_count"] == 2
