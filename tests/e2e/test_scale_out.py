"""Scale-out: two worker processes per role share the work, and one killed mid-stream loses and repeats nothing.

Each role is its own consumer group (streams/worker.py). The test starts two processes of every role on a
4-partition platform, streams level-IV reports through the API while keeping a ledger of the accepted ones,
SIGKILLs a writer and a notifier after a third of them, and lets the survivors take the dead processes'
partitions in the rebalance. It waits until every group has committed everything on its topics and nothing
new arrives (the survivors have replayed what the dead processes left uncommitted), then checks the ledger
against the read model and the pages against the real webhook receiver.
"""

from __future__ import annotations

import asyncio
import json
import signal
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench.ledger import Quiescence
from infra.channels import DeliveryStatus
from infra.kafka.reading import from_start
from infra.wire import EventType, stable_id
from streams.delivery import IN_DOUBT
from tests.e2e.district import district_on_receivers
from tests.e2e.platform import Platform, incidents, timeline
from tests.factories import report_dict
from tests.integration.channels.receivers import HttpReceiver

pytestmark = [pytest.mark.e2e, pytest.mark.subprocess]

PARTITIONS = 4
ROLES = ("intake", "writer", "notifier", "projector")
WORKER_IDS = ("a", "b")
VENUES = 40
"""New incidents: one level-IV report (35 cases) at a venue of its own; each pages the district's people."""
JOINING = 20
"""Second reports from another source at an earlier report's venue (5 more cases: the incident stays level IV)."""
NOTIFY_CONCURRENCY = 8
"""Pages a notifier process sends at once per channel: a SIGKILL can leave at most this many in doubt (ADR 0016)."""
STARTUP = 240.0
SETTLE = 300.0
"""Generous: 2 cores run 9 processes, and a killed member's partitions move only after its session times out."""


@pytest.fixture
def scaled(kafka_bootstrap: str, tmp_path: Path) -> Iterator[tuple[Platform, HttpReceiver]]:
    """The API and two processes of every worker role, paging by webhook to a receiver of this test's own."""
    with HttpReceiver() as hooks:
        district = district_on_receivers(tmp_path / "district", webhook_base=hooks.url)
        workdir = tmp_path / "platform"
        workdir.mkdir()
        platform = Platform(
            bootstrap=kafka_bootstrap,
            workdir=workdir,
            extra_env={
                "TOCSIN_PARTITIONS": str(PARTITIONS),
                "TOCSIN_DISTRICT_DIR": str(district),
                "TOCSIN_NOTIFY_CHANNELS": "webhook",
                "TOCSIN_NOTIFY_CONCURRENCY": str(NOTIFY_CONCURRENCY),
                "TOCSIN_NOTIFY_RETRY_BASE_DELAY": "0.2",
                "TOCSIN_NOTIFY_RETRY_MAX_DELAY": "1",
            },
        )
        try:
            platform.create_api_user()
            platform.start("api")
            for role in ROLES:
                for worker_id in WORKER_IDS:
                    platform.start_worker(role, worker_id)
            platform.wait_ready(timeout=STARTUP)
            for role in ROLES:
                for worker_id in WORKER_IDS:
                    platform.wait_role_ready(role, worker_id, timeout=STARTUP)
            yield platform, hooks
        finally:
            platform.stop_all()


def test_two_processes_per_role_count_each_report_once_and_page_no_one_twice_when_one_dies_mid_stream(
    scaled: tuple[Platform, HttpReceiver],
) -> None:
    platform, hooks = scaled
    stream = reports_to_send()
    ledger: dict[str, str] = {}
    """Report id → venue of every report the API accepted."""
    third = len(stream) // 3
    with platform.client() as client:
        for report in stream[:third]:
            accept(client, report, ledger)
        platform.wait_for(lambda: len(hooks.requests) >= 10, what="the first pages", timeout=SETTLE)
        platform.kill("worker-writer-a", signal.SIGKILL)
        platform.kill("worker-notifier-a", signal.SIGKILL)
        for report in stream[third:]:
            accept(client, report, ledger)

    platform.wait_for(
        Quiescence(platform, PARTITIONS), what="every group to commit everything on its topics", timeout=SETTLE
    )

    found = incidents(platform, limit=500)
    entries = {incident["id"]: timeline(platform, incident["id"]) for incident in found}
    venue_of = {incident["id"]: incident["location"].get("venue") for incident in found}
    counted = Counter(
        entry["data"]["report_id"]
        for entries_of in entries.values()
        for entry in entries_of
        if entry["type"] == EventType.REPORT_RECEIVED
    )
    placed = {
        entry["data"]["report_id"]: venue_of[incident_id]
        for incident_id, entries_of in entries.items()
        for entry in entries_of
        if entry["type"] == EventType.REPORT_RECEIVED
    }
    pages = [request.json() for request in hooks.requests]
    keys = Counter(page["idempotency_key"] for page in pages)
    paged_incidents = {page["incident_id"] for page in pages}
    webhook_records = [
        entry["data"]
        for entries_of in entries.values()
        for entry in entries_of
        if entry["type"] in (EventType.NOTIFICATION_SENT, EventType.NOTIFICATION_FAILED)
        and entry["data"]["channel"] == "webhook"
    ]
    recorded = {record["idempotency_key"].removesuffix("@webhook") for record in webhook_records}
    delivered = {
        r["idempotency_key"].removesuffix("@webhook")
        for r in webhook_records
        if r["status"] == DeliveryStatus.DELIVERED
    }
    in_doubt = {r["idempotency_key"] for r in webhook_records if r["status"] == IN_DOUBT}

    assert len(ledger) == len(stream)
    # every accepted report on exactly one incident, the one at its venue, and nothing else counted
    missing = sorted(set(ledger) - set(counted))
    assert missing == [], f"reports not on any timeline, and where they are on the log: {trail(platform, missing)}"
    assert sorted(counted) == sorted(ledger)
    assert [report_id for report_id, n in counted.items() if n > 1] == []
    assert placed == ledger
    assert sum(incident["report_count"] for incident in found) == len(ledger)
    assert sorted(venue_of.values()) == sorted(set(ledger.values()))
    # no key paged twice; every planned step's pages on its timeline; every page sent is recorded there
    assert [key for key, n in keys.items() if n > 1] == []
    assert [step for step in planned_steps(entries) if step not in delivery_records(entries)] == []
    assert delivered <= set(keys) <= recorded
    # only the pages the killed notifier was sending are in doubt (a page still queued is sent by the survivor),
    # so every incident was paged
    assert len(in_doubt) <= NOTIFY_CONCURRENCY
    assert paged_incidents == set(venue_of)


def reports_to_send() -> list[dict[str, Any]]:
    """VENUES opening reports, with a joining report for each of the first JOINING venues ten reports later."""
    openings = [
        report_dict(
            source="hospital",
            venue_type="restaurant",
            facts={"cases": 35},
            reporter={"name": "接诊医生", "unit": "区人民医院"},
        )
        for _ in range(VENUES)
    ]
    stream: list[dict[str, Any]] = []
    for n, opening in enumerate(openings):
        stream.append(opening)
        if 0 <= n - 10 < JOINING:
            earlier = openings[n - 10]
            stream.append(
                report_dict(
                    source="cdc",
                    venue_type="restaurant",
                    location=earlier["location"],
                    facts={"cases": 5},
                    reporter={"name": "流调员", "unit": "区疾控中心"},
                )
            )
    return stream


def accept(client: Any, report: dict[str, Any], ledger: dict[str, str]) -> None:
    """Post a report; record it in the ledger when the API accepts it (202: durably on the reports topic)."""
    reply = client.post("/api/v1/reports", json=report)
    assert reply.status_code == 202, reply.text
    ledger[report["report_id"]] = report["location"]["venue"]


def planned_steps(entries: dict[str, list[dict[str, Any]]]) -> set[str]:
    """The ids of the RecordDelivery commands the planned steps on the timelines call for (streams/delivery.py)."""
    return {
        stable_id("deliveries", entry["event_id"])
        for entries_of in entries.values()
        for entry in entries_of
        if entry["type"] == EventType.ACTIONS_PLANNED and entry["data"].get("items")
    }


def delivery_records(entries: dict[str, list[dict[str, Any]]]) -> set[str]:
    """The ids of the RecordDelivery commands whose records are on the timelines."""
    return {
        entry["causation"]
        for entries_of in entries.values()
        for entry in entries_of
        if entry["type"] in (EventType.NOTIFICATION_SENT, EventType.NOTIFICATION_FAILED)
    }


def trail(platform: Platform, report_ids: list[str]) -> dict[str, list[str]]:
    """Where each report id occurs on the platform's topics, as `topic:partition:offset type`, in pipeline order."""
    return asyncio.run(_trail(platform, report_ids))


async def _trail(platform: Platform, report_ids: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {report_id: [] for report_id in report_ids}
    for name in ("reports", "reports.accepted", "incident-commands", "incident-events"):
        async with from_start(platform.bootstrap, platform.topic(name)) as (consumer, partitions):
            ends = await consumer.end_offsets(partitions)
            left = {tp for tp in partitions if ends[tp] > 0}
            while left:
                for tp, messages in (await consumer.getmany(timeout_ms=1000)).items():
                    for message in messages:
                        if message.offset + 1 >= ends[tp]:
                            left.discard(tp)
                        for report_id in report_ids:
                            if report_id.encode() in (message.value or b""):
                                kind = str(json.loads(message.value).get("type", "report"))
                                found[report_id].append(f"{name}:{tp.partition}:{message.offset} {kind}")
    return found
