"""The walking skeleton: a report travels HTTP → Kafka → agents → SQL read model → HTTP."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.e2e.kafka_io import produce_raw, read_json_until
from tests.e2e.platform import Platform, incident_for_venue
from tests.factories import report_dict

pytestmark = pytest.mark.e2e


def test_report_posted_over_http_becomes_a_graded_incident(platform: Platform) -> None:
    report = report_dict(venue_type="school", facts={"cases": 60, "hospitalized": 10})
    with platform.client() as client:
        reply = client.post("/api/v1/reports", json=report)
    assert reply.status_code == 202, reply.text
    assert reply.json()["report_id"] == report["report_id"]

    venue = report["location"]["venue"]
    incident = platform.wait_for(lambda: incident_for_venue(platform, venue), what="the incident")

    assert incident["level"] == "II"
    assert incident["status"] == "active"
    assert incident["facts"]["cases"] == 60
    assert incident["mode"] == "actual"


def test_incident_detail_shows_the_rule_and_the_playbook_version(platform: Platform) -> None:
    report = report_dict(venue_type="restaurant", facts={"cases": 3, "deaths": 1})
    with platform.client() as client:
        client.post("/api/v1/reports", json=report).raise_for_status()
        summary = platform.wait_for(
            lambda: incident_for_venue(platform, report["location"]["venue"]), what="the incident"
        )
        detail = client.get(f"/api/v1/incidents/{summary['id']}").json()

    assert detail["level"] == "III"
    assert detail["rule_id"]
    assert "deaths" in detail["explanation"]
    assert detail["playbook_id"] == "food_safety"
    assert detail["playbook_version"]
    assert [(h["from_level"], h["to_level"]) for h in detail["level_history"]] == [("non_graded", "III")]


def test_unknown_incident_is_404_with_a_reason(platform: Platform) -> None:
    with platform.client() as client:
        reply = client.get("/api/v1/incidents/INC-nope")
    assert reply.status_code == 404
    assert "INC-nope" in reply.json()["detail"]


def test_invalid_report_over_http_is_422_naming_the_field(platform: Platform) -> None:
    report = report_dict(facts={"cases": -3})
    with platform.client() as client:
        reply = client.post("/api/v1/reports", json=report)
    assert reply.status_code == 422
    assert "cases" in json.dumps(reply.json())


async def test_garbage_and_invalid_reports_go_to_the_dlq_and_the_pipeline_keeps_going(platform: Platform) -> None:
    garbage = b"\xff\xfe\x00not a report\x81"
    invalid: dict[str, Any] = report_dict()
    del invalid["reported_at"]
    await produce_raw(platform.bootstrap, platform.topic("reports"), garbage, key=b"garbage")
    await produce_raw(
        platform.bootstrap, platform.topic("reports"), json.dumps(invalid).encode(), key=invalid["report_id"].encode()
    )
    valid = report_dict(facts={"cases": 35})
    await produce_raw(
        platform.bootstrap,
        platform.topic("reports"),
        json.dumps(valid, ensure_ascii=False).encode(),
        key=valid["report_id"].encode(),
    )

    dead = await read_json_until(
        platform.bootstrap,
        platform.topic("reports.dlq"),
        count=2,
        match=lambda m: m.get("key") in ("garbage", invalid["report_id"]),
    )
    reasons = {m["key"]: m for m in dead}
    assert reasons["garbage"]["encoding"] == "base64"
    assert "UTF-8" in reasons["garbage"]["reason"]
    assert "reported_at" in reasons[invalid["report_id"]]["reason"]
    assert json.loads(reasons[invalid["report_id"]]["original"]) == invalid

    incident = platform.wait_for(
        lambda: incident_for_venue(platform, valid["location"]["venue"]),
        what="the valid report written by a plain Kafka client",
    )
    assert incident["level"] == "IV"


async def test_a_report_of_a_type_without_a_playbook_goes_to_the_dlq(platform: Platform) -> None:
    report = report_dict(incident_type="volcano")
    await produce_raw(
        platform.bootstrap, platform.topic("reports"), json.dumps(report).encode(), key=report["report_id"].encode()
    )

    dead = await read_json_until(
        platform.bootstrap, platform.topic("reports.dlq"), count=1, match=lambda m: m.get("key") == report["report_id"]
    )
    assert dead, "the report was not dead-lettered"
    assert "no playbook for 'volcano'" in dead[0]["reason"]
