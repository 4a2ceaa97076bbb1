"""Command endpoints: each role allowed or forbidden, what is published (recorded in memory; one incident and
one roster command through the real broker), the audit trail, a 503 when Kafka refuses, and ?wait."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from api.publisher import InMemoryPublisher
from infra.db.engine import Database
from infra.settings import Settings
from infra.wire import CommandType
from tests.api import world
from tests.api.conftest import EXERCISE, Tokens
from tests.api.kafka import find_message
from tests.integration.db import seed

ROLES = ("duty_officer", "commander", "unit_responder", "drill_controller", "observer")


@dataclass(frozen=True)
class Endpoint:
    """A command endpoint, a valid body, and the roles that may call it."""

    name: str
    path: str
    body: dict[str, Any] | None
    allowed: frozenset[str]
    command: str


W = world.World()
ENDPOINTS = (
    Endpoint(
        "ack alert",
        "/incidents/{i}/alerts/" + W.alert + "/ack",
        None,
        frozenset({"duty_officer", "commander"}),
        CommandType.ACKNOWLEDGE_ALERT,
    ),
    Endpoint(
        "ack task",
        "/incidents/{i}/tasks/" + W.task + "/ack",
        None,
        frozenset({"duty_officer", "commander", "unit_responder"}),
        CommandType.ACKNOWLEDGE_TASK,
    ),
    Endpoint(
        "complete task",
        "/incidents/{i}/tasks/" + W.task + "/complete",
        {"result": "samples taken"},
        frozenset({"duty_officer", "commander", "unit_responder"}),
        CommandType.COMPLETE_TASK,
    ),
    Endpoint(
        "raise level",
        "/incidents/{i}/level",
        {"level": "I", "reason": "spreading across provinces"},
        frozenset({"duty_officer", "commander"}),
        CommandType.DECIDE_LEVEL,
    ),
    Endpoint(
        "verified facts",
        "/incidents/{i}/facts",
        {"facts": {"cases": 130}, "reason": "hospital lists"},
        frozenset({"duty_officer", "commander"}),
        CommandType.SET_VERIFIED_FACTS,
    ),
    Endpoint(
        "note",
        "/incidents/{i}/notes",
        {"text": "school closed for the day"},
        frozenset({"duty_officer", "commander", "drill_controller"}),
        CommandType.ADD_NOTE,
    ),
    Endpoint(
        "termination signals",
        "/incidents/{i}/termination/signals",
        {"signals": {"site_controlled": True}},
        frozenset({"duty_officer", "commander"}),
        CommandType.UPDATE_TERMINATION_SIGNALS,
    ),
    Endpoint(
        "propose termination",
        "/incidents/{i}/termination/propose",
        {"reason": "criteria hold"},
        frozenset({"duty_officer", "commander"}),
        CommandType.PROPOSE_TERMINATION,
    ),
    Endpoint(
        "approve termination",
        "/incidents/{i}/termination/approve",
        {"reason": "approved by the head"},
        frozenset({"commander"}),
        CommandType.APPROVE_TERMINATION,
    ),
    Endpoint(
        "assign shift",
        "/roster/shifts",
        {"unit": "cdc", "date": "2026-06-02", "shift": "day", "duty_officer": "p-cdc-01"},
        frozenset({"duty_officer", "commander"}),
        CommandType.ASSIGN_SHIFT,
    ),
    Endpoint(
        "update contacts",
        "/people/p-leading_group-01/contacts",
        {"contacts": {"phone": "+86 138 0000 0000"}},
        frozenset({"duty_officer", "commander"}),
        CommandType.UPDATE_CONTACTS,
    ),
)


@pytest.fixture
async def w(db: Database) -> world.World:
    return await world.build(db)


def _post(client: httpx.AsyncClient, endpoint: Endpoint, incident: str, headers: dict[str, str], **params: Any) -> Any:
    return client.post("/api/v1" + endpoint.path.format(i=incident), json=endpoint.body, headers=headers, params=params)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
async def test_each_command_is_allowed_or_forbidden_by_role(
    client: httpx.AsyncClient,
    tokens: Tokens,
    w: world.World,
    publisher: InMemoryPublisher,
    endpoint: Endpoint,
    role: str,
) -> None:
    # a drill controller works in its exercise; everyone else on the actual incident
    incident = w.drill if role == "drill_controller" else w.actual
    headers = tokens.headers("controller") if role == "drill_controller" else tokens.role(role)
    reply = await _post(client, endpoint, incident, headers)
    if role in endpoint.allowed:
        assert reply.status_code == 202, reply.text
        assert reply.json()["status"] == "accepted"
        assert reply.json()["type"] == endpoint.command
        published = [(p.value["id"], p.value["type"]) for p in publisher.published]
        assert published == [(reply.json()["command_id"], endpoint.command)]
    else:
        assert reply.status_code == 403, reply.text
        assert role in reply.json()["detail"] or "belongs to" in reply.json()["detail"]
        assert publisher.published == []


async def test_the_command_lands_on_kafka_keyed_by_incident_with_the_actor(
    broker_client: httpx.AsyncClient, tokens: Tokens, w: world.World, broker_settings: Settings
) -> None:
    reply = await broker_client.post(
        f"/api/v1/incidents/{w.actual}/level",
        json={"level": "II", "reason": "school, 120 ill"},
        headers=tokens.role("commander"),
    )
    command_id = reply.json()["command_id"]
    key, value = await find_message(
        broker_settings.kafka_bootstrap, broker_settings.topic("incident-commands"), command_id
    )
    assert key == w.actual
    assert value["type"] == CommandType.DECIDE_LEVEL
    assert value["incident_id"] == w.actual and value["mode"] == "actual" and value["exercise_id"] is None
    assert value["payload"] == {
        "level": "II",
        "reason": "school, 120 ill",
        "actor": {"user": "chief", "roles": ["commander"], "unit": None, "ip": "10.1.2.3"},
    }
    assert value["v"] == 1 and value["time"]


async def test_a_drill_command_carries_the_exercise(
    client: httpx.AsyncClient, tokens: Tokens, w: world.World, settings: Settings, publisher: InMemoryPublisher
) -> None:
    reply = await client.post(
        f"/api/v1/incidents/{w.drill}/notes", json={"text": "inject 3 delivered"}, headers=tokens.headers("controller")
    )
    sent = publisher.find(reply.json()["command_id"])
    assert (sent.topic, sent.key) == (settings.topic("incident-commands"), w.drill)
    assert (sent.value["mode"], sent.value["exercise_id"]) == ("exercise", EXERCISE)


async def test_roster_edits_go_to_the_roster_topic_keyed_by_unit(
    broker_client: httpx.AsyncClient, tokens: Tokens, broker_settings: Settings
) -> None:
    body = {"unit": "cdc", "date": "2026-06-02", "shift": "day", "leader_on_duty": None, "duty_officer": "p-cdc-01"}
    reply = await broker_client.post("/api/v1/roster/shifts", json=body, headers=tokens.role("duty_officer"))
    key, value = await find_message(
        broker_settings.kafka_bootstrap, broker_settings.topic("roster-commands"), reply.json()["command_id"]
    )
    assert key == "cdc"
    assert value["type"] == CommandType.ASSIGN_SHIFT
    assert {k: value["payload"][k] for k in body} == body


async def test_only_a_commander_lowers_a_level(client: httpx.AsyncClient, tokens: Tokens, w: world.World) -> None:
    lower = {"level": "IV", "reason": "expert committee: fewer cases than reported"}
    refused = await client.post(f"/api/v1/incidents/{w.actual}/level", json=lower, headers=tokens.role("duty_officer"))
    assert refused.status_code == 403
    assert "only a commander lowers" in refused.json()["detail"]
    allowed = await client.post(f"/api/v1/incidents/{w.actual}/level", json=lower, headers=tokens.role("commander"))
    assert allowed.status_code == 202


async def test_a_level_change_needs_a_reason(client: httpx.AsyncClient, tokens: Tokens, w: world.World) -> None:
    for body in ({"level": "II"}, {"level": "II", "reason": "   "}, {"level": "V", "reason": "x"}):
        reply = await client.post(f"/api/v1/incidents/{w.actual}/level", json=body, headers=tokens.role("commander"))
        assert reply.status_code == 422, body


async def test_a_unit_responder_may_not_touch_another_units_task(
    client: httpx.AsyncClient, tokens: Tokens, w: world.World
) -> None:
    reply = await client.post(
        f"/api/v1/incidents/{w.actual}/tasks/{w.other_task}/complete",
        json={"result": "done"},
        headers=tokens.role("unit_responder"),
    )
    assert reply.status_code == 403
    assert "health_commission" in reply.json()["detail"]


async def test_unknown_incidents_and_steps_are_404(client: httpx.AsyncClient, tokens: Tokens, w: world.World) -> None:
    headers = tokens.role("commander")
    missing = await client.post("/api/v1/incidents/inc-nope/notes", json={"text": "x"}, headers=headers)
    assert missing.status_code == 404
    reply = await client.post(f"/api/v1/incidents/{w.actual}/tasks/no-such-step/ack", headers=headers)
    assert reply.status_code == 404
    assert "no-such-step" in reply.json()["detail"]
    # a task is not an alert
    assert (await client.post(f"/api/v1/incidents/{w.actual}/alerts/{w.task}/ack", headers=headers)).status_code == 404
    unknown_unit = {"unit": "nowhere", "date": "2026-06-02", "shift": "day"}
    assert (await client.post("/api/v1/roster/shifts", json=unknown_unit, headers=headers)).status_code == 404


async def test_every_command_is_in_the_audit_trail(client: httpx.AsyncClient, tokens: Tokens, w: world.World) -> None:
    reply = await client.post(
        f"/api/v1/incidents/{w.actual}/notes",
        json={"text": "called the school"},
        headers={**tokens.role("duty_officer"), "X-Request-ID": "req-42"},
    )
    trail = await client.get("/api/v1/audit", params={"incident_id": w.actual}, headers=tokens.role("commander"))
    entry = trail.json()["items"][-1]
    assert entry["command_id"] == reply.json()["command_id"]
    assert (entry["actor"], entry["roles"], entry["ip"], entry["request_id"]) == (
        "duty",
        ["duty_officer"],
        "10.1.2.3",
        "req-42",
    )
    assert (entry["command_type"], entry["payload"], entry["outcome"]) == (
        CommandType.ADD_NOTE,
        {"text": "called the school"},
        "published",
    )


async def test_when_kafka_refuses_a_command_it_is_503_and_audited_as_not_published(
    client: httpx.AsyncClient, tokens: Tokens, w: world.World, publisher: InMemoryPublisher
) -> None:
    publisher.fail("Kafka at kafka-1:9092 is unreachable")
    reply = await client.post(
        f"/api/v1/incidents/{w.actual}/notes", json={"text": "called the school"}, headers=tokens.role("duty_officer")
    )
    assert reply.status_code == 503
    assert "kafka-1:9092 is unreachable" in reply.json()["detail"]
    trail = await client.get("/api/v1/audit", params={"incident_id": w.actual}, headers=tokens.role("commander"))
    entry = trail.json()["items"][-1]
    assert (entry["command_type"], entry["outcome"]) == (CommandType.ADD_NOTE, "publish_failed")
    metrics = (await client.get("/metrics", headers=tokens.role("observer"))).text
    assert f'tocsin_commands_total{{command="{CommandType.ADD_NOTE}",outcome="failed"}} 1.0' in metrics
    publisher.recover()
    again = await client.post(
        f"/api/v1/incidents/{w.actual}/notes", json={"text": "called the school"}, headers=tokens.role("duty_officer")
    )
    assert again.status_code == 202
    assert [p.value["id"] for p in publisher.published] == [again.json()["command_id"]]


@pytest.mark.parametrize("role", ["duty_officer", "unit_responder", "observer"])
async def test_only_commanders_read_the_audit_trail(client: httpx.AsyncClient, tokens: Tokens, role: str) -> None:
    assert (await client.get("/api/v1/audit", headers=tokens.role(role))).status_code == 403


async def _worker_answers(
    db: Database, publisher: InMemoryPublisher, command_id: str, status: str, reason: str = ""
) -> None:
    """Stand in for the worker: once the command is published, record its outcome as the projector would."""
    assert publisher.find(command_id).value["type"] == CommandType.APPROVE_TERMINATION
    await asyncio.sleep(0.3)
    await seed.add(db, seed.command_result(command_id, status=status, reason=reason))


async def _post_and_answer(
    client: httpx.AsyncClient,
    tokens: Tokens,
    db: Database,
    publisher: InMemoryPublisher,
    incident: str,
    status: str,
    reason: str = "",
) -> httpx.Response:
    request = client.post(
        f"/api/v1/incidents/{incident}/termination/approve",
        json={"reason": "done"},
        params={"wait": 10},
        headers=tokens.role("commander"),
    )
    task = asyncio.ensure_future(request)
    # find the command id from the audit trail as soon as the API has published it
    command_id = None
    while command_id is None:
        await asyncio.sleep(0.05)
        trail = (await client.get("/api/v1/audit", headers=tokens.role("commander"))).json()["items"]
        command_id = trail[-1]["command_id"] if trail else None
    await _worker_answers(db, publisher, command_id, status, reason)
    return await task


async def test_wait_returns_200_once_the_command_is_applied(
    client: httpx.AsyncClient, tokens: Tokens, db: Database, publisher: InMemoryPublisher, w: world.World
) -> None:
    reply = await _post_and_answer(client, tokens, db, publisher, w.actual, "applied")
    assert reply.status_code == 200
    assert reply.json()["status"] == "applied"


async def test_wait_returns_409_with_the_reason_when_rejected(
    client: httpx.AsyncClient, tokens: Tokens, db: Database, publisher: InMemoryPublisher, w: world.World
) -> None:
    reason = "termination must be proposed before it is approved (incident is active)"
    reply = await _post_and_answer(client, tokens, db, publisher, w.actual, "rejected", reason)
    assert reply.status_code == 409
    assert reply.json()["status"] == "rejected"
    assert reply.json()["detail"] == reason


async def test_wait_times_out_as_pending(client: httpx.AsyncClient, tokens: Tokens, w: world.World) -> None:
    reply = await client.post(
        f"/api/v1/incidents/{w.actual}/notes",
        json={"text": "x"},
        params={"wait": 1},
        headers=tokens.role("duty_officer"),
    )
    assert reply.status_code == 202
    assert reply.json()["status"] == "pending"
    assert "waited 1 s" in reply.json()["detail"]
