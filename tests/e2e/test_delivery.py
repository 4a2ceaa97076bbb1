"""Delivery through the real pipeline: escalation, exercise isolation, retries, and a worker killed mid-stream."""

from __future__ import annotations

import asyncio
import json
import signal
import time
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from infra.channels.cap import CAP_NS
from infra.wire import EventType
from tests.e2e.conftest import PlatformFactory
from tests.e2e.district import district_on_receivers
from tests.e2e.kafka_io import produce_raw
from tests.e2e.platform import Platform, incident_for_venue, incidents, timeline
from tests.factories import report_dict
from tests.integration.channels.receivers import HttpReceiver, SmtpReceiver

pytestmark = pytest.mark.e2e


def header(headers: dict[str, str], name: str) -> str | None:
    """A header value, whatever the case of its name."""
    return next((v for k, v in headers.items() if k.lower() == name.lower()), None)


def cap_alerts(client: httpx.Client, **params: str) -> list[dict[str, str]]:
    """The CAP alerts in the Atom feed the API serves to `client`: identifier, status, incidents and note of each."""
    reply = client.get("/api/v1/cap/feed", params=params)
    reply.raise_for_status()
    fields = ("identifier", "status", "incidents", "note")
    return [
        {name: alert.findtext(f"{{{CAP_NS}}}{name}") or "" for name in fields}
        for alert in ET.fromstring(reply.content).iter(f"{{{CAP_NS}}}alert")
    ]


def open_incident(platform: Platform, report: dict[str, Any]) -> dict[str, Any]:
    """Post a report and wait for its incident."""
    with platform.client() as client:
        assert client.post("/api/v1/reports", json=report).status_code == 202
    return platform.wait_for(lambda: incident_for_venue(platform, report["location"]["venue"]), what="the incident")


def test_a_missed_acknowledgement_escalates_along_the_chain(platform: Platform) -> None:
    incident = open_incident(platform, report_dict(venue_type="restaurant", facts={"cases": 35}))

    escalations = platform.wait_for(
        lambda: [
            e
            for e in timeline(platform, incident["id"], EventType.ACTION_UPDATED)
            if e["data"]["change"] == "escalated"
        ],
        what="an escalation",
        timeout=90,
    )
    assert escalations[0]["data"]["to_role"] in ("duty_officer", "unit_leader", "leading_group")

    def escalation_sent() -> list[dict[str, Any]]:
        return [
            e
            for e in timeline(platform, incident["id"], EventType.NOTIFICATION_SENT)
            if e["data"]["subject"].startswith("【逾期升级】")
        ]

    sent = platform.wait_for(escalation_sent, what="an escalation notice delivered", timeout=60)
    assert sent[0]["data"]["recipient_name"]


def test_an_exercise_incident_delivers_nothing_outside_the_exercise(
    platform: Platform,
    smtp: SmtpReceiver,
    http: HttpReceiver,
) -> None:
    exercise = f"EX-{time.time_ns()}"
    incident = open_incident(platform, report_dict(mode="exercise", exercise_id=exercise, facts={"cases": 60}))
    assert incident["mode"] == "exercise"

    def deliveries() -> list[dict[str, Any]] | None:
        found = [
            e["data"]
            for e in timeline(platform, incident["id"])
            if e["type"] in (EventType.NOTIFICATION_SENT, EventType.NOTIFICATION_FAILED)
        ]
        return found if len(found) >= 5 else None

    recorded = platform.wait_for(deliveries, what="the drill's deliveries", timeout=60)
    to_people = [d for d in recorded if d["channel"] != "cap"]
    assert to_people
    assert {d["status"] for d in to_people} == {"diverted_to_exercise_sink"}
    # a public-information step drafts a bulletin; once approved it is published as a CAP alert, which for a drill
    # goes to the drill's own feed only: a user scoped to the exercise reads it there, the public feed never has it
    with platform.client() as client:
        path = f"/api/v1/incidents/{incident['id']}/public-info"
        draft = platform.wait_for(lambda: client.get(path).json()["items"], what="the drill's draft")[0]
        approved = client.post(f"{path}/{draft['id']}/approve", params={"wait": 20})
        assert approved.status_code == 200, approved.text
    observer = platform.add_user(f"observer-{exercise}", "observer", exercise_id=exercise)
    with platform.client_as(observer) as client:
        published = platform.wait_for(
            lambda: [a for a in cap_alerts(client) if a["incidents"] == incident["id"]],
            what="the drill's CAP alert in the exercise's feed",
            timeout=60,
        )
    assert {a["status"] for a in published} == {"Exercise"}
    assert all(exercise in a["note"] for a in published)
    with platform.client() as client:
        assert not [a for a in cap_alerts(client, feed="public") if a["incidents"] == incident["id"]]
    assert not [m for m in smtp.messages if m.get("X-Tocsin-Exercise-Id") or m.get("X-Tocsin-Mode") == "exercise"]
    assert not [
        r
        for r in http.requests
        if header(r.headers, "X-Tocsin-Exercise-Id") or header(r.headers, "X-Tocsin-Mode") == "exercise"
    ]
    assert not [m for m in smtp.messages if incident["id"] in str(m.get_content())]


def test_a_channel_failing_three_times_then_recovering_gets_the_message_through(
    make_platform: PlatformFactory,
    tmp_path: Path,
    http: HttpReceiver,
) -> None:
    with HttpReceiver() as flaky:
        education = {f"p-education-0{n}": flaky.url for n in range(4, 8)}
        district = district_on_receivers(tmp_path / "district", webhook_base=http.url, flaky=education)
        running = make_platform(district_dir=district)
        flaky.fail_next(3, 503)
        incident = open_incident(running, report_dict(venue_type="school", facts={"cases": 60}))

        def education_webhooks() -> list[dict[str, Any]]:
            return [
                e["data"]
                for e in timeline(running, incident["id"])
                if e["type"] in (EventType.NOTIFICATION_SENT, EventType.NOTIFICATION_FAILED)
                and e["data"]["channel"] == "webhook"
                and e["data"]["recipient_id"] in education
            ]

        sent = running.wait_for(education_webhooks, what="the education bureau's webhook deliveries", timeout=60)
        running.stop_all()

    assert {s["status"] for s in sent} == {"delivered"}
    outcomes = [a["outcome"] for s in sent for a in s["attempts"]]
    assert outcomes.count("temporary_error") == 3, outcomes
    assert any(len(s["attempts"]) > 1 and s["attempts"][-1]["outcome"] == "ok" for s in sent)


async def test_killing_the_worker_mid_stream_loses_no_report_and_pages_no_one_twice(
    make_platform: PlatformFactory,
    tmp_path: Path,
) -> None:
    with SmtpReceiver() as mail, HttpReceiver() as hooks:
        district = district_on_receivers(tmp_path / "district", webhook_base=hooks.url)
        running = make_platform(district_dir=district, TOCSIN_SMTP_PORT=str(mail.port), TOCSIN_SMTP_HOST=mail.host)
        reports = [report_dict(venue_type="restaurant", facts={"cases": 35}) for _ in range(40)]
        for report in reports:
            await produce_raw(
                running.bootstrap,
                running.topic("reports"),
                json.dumps(report).encode(),
                key=report["report_id"].encode(),
            )
        running.wait_for(lambda: len(mail.messages) >= 10, what="the first pages", timeout=60)
        running.kill("worker", signal.SIGKILL)
        running.start("worker")
        running.wait_worker_ready()

        venues = {r["location"]["venue"] for r in reports}
        running.wait_for(
            lambda: venues <= {i["location"].get("venue") for i in incidents(running, limit=500)},
            what="every report's incident after the restart",
            timeout=120,
        )
        await _settle(lambda: len(mail.messages) + len(hooks.requests))
        mail_keys = Counter(m["X-Tocsin-Idempotency-Key"] for m in mail.messages)
        hook_keys = Counter(header(r.headers, "Idempotency-Key") for r in hooks.requests)
        reports_counted = sum(
            i["report_count"] for i in incidents(running, limit=500) if i["location"].get("venue") in venues
        )
        running.stop_all()

    assert reports_counted == 40
    assert [k for k, n in mail_keys.items() if n > 1] == []
    assert [k for k, n in hook_keys.items() if n > 1] == []


async def _settle(count: Any, quiet: float = 6.0, limit: float = 120.0) -> None:
    """Wait until `count()` has not changed for `quiet` seconds (at most `limit`)."""
    deadline = time.monotonic() + limit
    last, since = count(), time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - since < quiet:
        await asyncio.sleep(0.5)
        if (now := count()) != last:
            last, since = now, time.monotonic()
