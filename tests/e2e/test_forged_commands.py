"""Commands written straight to Kafka, past the API's role checks: the incident writer re-checks them itself."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from infra.wire import CommandType, EventType
from infra.wire.incident import command_envelope
from playbooks.commands import Actor, DecideLevel, Role
from playbooks.levels import Level
from tests.e2e.kafka_io import produce_raw
from tests.e2e.platform import Platform, incident_for_venue, timeline
from tests.factories import report_dict

pytestmark = pytest.mark.e2e


async def test_a_forged_lowering_by_a_duty_officer_is_rejected_by_the_writer(platform: Platform) -> None:
    report = report_dict(venue_type="school", facts={"cases": 60})
    with platform.client() as client:
        assert client.post("/api/v1/reports", json=report).status_code == 202
    venue = report["location"]["venue"]
    incident = platform.wait_for(lambda: incident_for_venue(platform, venue), what="the incident")
    assert incident["level"] == "II"

    duty_officer = Actor("forger", frozenset({Role.DUTY_OFFICER}), None)
    forged = command_envelope(
        DecideLevel(level=Level.IV, reason="lower it", actor=duty_officer),
        incident_id=incident["id"],
        at=datetime.now(UTC),
        mode=incident["mode"],
    )
    await produce_raw(
        platform.bootstrap, platform.topic("incident-commands"), forged.to_json(), key=incident["id"].encode()
    )

    def rejection() -> dict[str, Any] | None:
        found = [
            e for e in timeline(platform, incident["id"], EventType.COMMAND_REJECTED) if e["causation"] == forged.id
        ]
        return found[0] if found else None

    rejected = platform.wait_for(rejection, what="the writer's CommandRejected for the forged command")
    assert rejected["data"]["command"] == CommandType.DECIDE_LEVEL
    assert rejected["data"]["by"] == "forger"
    assert rejected["data"]["reason"].startswith("only a commander lowers a level (II → IV)")
    with platform.client() as client:
        after = client.get(f"/api/v1/incidents/{incident['id']}").json()
    assert after["level"] == "II"
    assert [h["to_level"] for h in after["level_history"]] == ["II"]
