"""Drill endpoints (docs/adr/0018): scenarios, starting and steering runs (what is published: recorded in memory,
StartDrill also through the real broker), ?wait through the drill projection, reads and reports, and who may
do what."""

from __future__ import annotations

import asyncio
import re
import typing
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.publisher import InMemoryPublisher
from api.routers.drills import BOTS, StartDrillIn
from drills.bots import BEHAVIOURS
from drills.scenario import SCENARIO_DIR
from infra.db.drills import apply_drill_event
from infra.db.engine import Database
from infra.settings import Settings
from infra.wire import DrillCommandType
from playbooks import PlaybookLibrary
from playbooks.organisation import Organisation
from tests.api.conftest import EXERCISE, Tokens
from tests.api.kafka import find_message
from tests.integration.db import drill_events as ev

API = "/api/v1"
RUNNING = "EX-school_canteen-20260601080000-aaaa"
FINISHED = "EX-rural_dinner-20260601070000-bbbb"
SAMPLE = (SCENARIO_DIR / "school_canteen.yaml").read_text(encoding="utf-8")
EXERCISE_ID = re.compile(r"^EX-school_canteen-\d{14}-[0-9a-f]{4}$")


async def _runs(db: Database) -> None:
    """A running run (unscoped), the controller's own exercise running, and a finished run with its report."""
    for event in (
        ev.updated(4, exercise_id=RUNNING),
        ev.updated(2, exercise_id=EXERCISE),
        ev.updated(9, exercise_id=FINISHED, scenario_id="rural_dinner", state="finished", score={"overall": 0.5}),
        ev.report(exercise_id=FINISHED, markdown="# 推演评估报告\n", html="<!doctype html><p>AAR</p>"),
    ):
        await apply_drill_event(db, event)


@pytest.fixture
async def runs(db: Database) -> None:
    await _runs(db)


def _start(
    client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any], **params: Any
) -> typing.Awaitable[httpx.Response]:
    return client.post(f"{API}/drills", json=body, headers=headers, params=params)


# -- scenarios -----------------------------------------------------------------------------------------------


async def test_the_scenarios_are_listed_with_what_they_exercise(client: httpx.AsyncClient, tokens: Tokens) -> None:
    reply = await client.get(f"{API}/drills/scenarios", headers=tokens.role("observer"))
    assert reply.status_code == 200, reply.text
    by_id = {s["id"]: s for s in reply.json()}
    assert set(by_id) == {
        "cross_town_tabletop",
        "exam_season_guarantee",
        "public_opinion",
        "rural_dinner",
        "sampling_recall",
        "school_canteen",
    }
    school = by_id["school_canteen"]
    assert (school["playbook"], school["injects"], school["duration_seconds"]) == ("food_safety", 8, 14400.0)
    assert school["objectives"][0] == {"id": "alerting", "title": "30 分钟内通知领导小组及成员单位，通报教育部门"}
    assert "cdc" in school["units"]


async def test_one_scenario_comes_with_its_yaml(client: httpx.AsyncClient, tokens: Tokens) -> None:
    reply = await client.get(f"{API}/drills/scenarios/school_canteen", headers=tokens.role("duty_officer"))
    assert reply.status_code == 200
    assert reply.json()["yaml"] == SAMPLE and reply.json()["scenario"]["id"] == "school_canteen"
    missing = await client.get(f"{API}/drills/scenarios/nope", headers=tokens.role("duty_officer"))
    assert missing.status_code == 404 and "nope" in missing.json()["detail"]


def test_the_api_offers_exactly_the_bot_behaviours_of_the_drills() -> None:
    assert tuple(BEHAVIOURS) == BOTS
    bot = StartDrillIn.model_fields["bot"].annotation
    assert set(typing.get_args(typing.get_args(bot)[0])) == set(BEHAVIOURS)


# -- starting ------------------------------------------------------------------------------------------------


async def test_start_publishes_start_drill_keyed_by_a_new_exercise(
    broker_client: httpx.AsyncClient, tokens: Tokens, broker_settings: Settings
) -> None:
    body = {"scenario": "school_canteen", "speed": 120, "bot": "late", "participants": ["p-cdc-01"]}
    reply = await _start(broker_client, tokens.role("commander"), body)
    assert reply.status_code == 202, reply.text
    started = reply.json()
    assert EXERCISE_ID.match(started["exercise_id"]), started
    assert started["status"] == "accepted" and started["drill"] is None
    key, value = await find_message(
        broker_settings.kafka_bootstrap, broker_settings.topic("drill-commands"), started["command_id"]
    )
    assert key == started["exercise_id"]
    assert {k: value[k] for k in ("type", "mode", "exercise_id", "incident_id", "causation", "v")} == {
        "type": DrillCommandType.START,
        "mode": "exercise",
        "exercise_id": started["exercise_id"],
        "incident_id": None,
        "causation": None,
        "v": 1,
    }
    assert value["time"]
    payload = value["payload"]
    fields = ("scenario_id", "scenario_text", "speed", "bot", "participants", "requested_by")
    assert {k: payload[k] for k in fields} == {
        "scenario_id": "school_canteen",
        "scenario_text": SAMPLE,
        "speed": 120,
        "bot": "late",
        "participants": ["p-cdc-01"],
        "requested_by": {"user": "chief", "roles": ["commander"]},
    }


async def test_start_from_yaml_defaults_to_the_units_people_and_no_bot(
    client: httpx.AsyncClient, tokens: Tokens, settings: Settings, publisher: InMemoryPublisher
) -> None:
    text = "\n\n" + SAMPLE  # published exactly as given
    reply = await _start(client, tokens.role("commander"), {"scenario_yaml": text, "speed": 1.5})
    assert reply.status_code == 202, reply.text
    sent = publisher.find(reply.json()["command_id"])
    assert (sent.topic, sent.key, sent.value["type"]) == (
        settings.topic("drill-commands"),
        reply.json()["exercise_id"],
        DrillCommandType.START,
    )
    payload = sent.value["payload"]
    assert (
        payload["scenario_id"],
        payload["scenario_text"],
        payload["speed"],
        payload["bot"],
        payload["participants"],
    ) == ("school_canteen", text, 1.5, None, None)


async def test_a_scoped_controller_runs_its_own_exercise_once(
    client: httpx.AsyncClient, tokens: Tokens, db: Database, publisher: InMemoryPublisher
) -> None:
    reply = await _start(client, tokens.headers("controller"), {"scenario": "school_canteen"})
    assert reply.status_code == 202, reply.text
    assert reply.json()["exercise_id"] == EXERCISE
    value = publisher.find(reply.json()["command_id"]).value
    assert value["payload"]["requested_by"] == {"user": "controller", "roles": ["drill_controller"]}
    await apply_drill_event(db, ev.updated(0, exercise_id=EXERCISE))
    again = await _start(client, tokens.headers("controller"), {"scenario": "school_canteen"})
    assert again.status_code == 409
    assert EXERCISE in again.json()["detail"] and "running" in again.json()["detail"]


async def test_invalid_yaml_is_422_with_the_located_problems(client: httpx.AsyncClient, tokens: Tokens) -> None:
    broken = re.sub(r"(?m)^title: .*\n", "", SAMPLE).replace("end: T+4:00", "end: T+4:7x")
    reply = await _start(client, tokens.role("commander"), {"scenario_yaml": broken})
    assert reply.status_code == 422
    problems = reply.json()["detail"]
    assert all(p["loc"] == ["body", "scenario_yaml"] for p in problems)
    assert [p["msg"] for p in problems] == [
        "scenario_yaml:4: missing required field 'title'",
        "scenario_yaml:11 end: 'T+4:7x' is not a scenario time (T+h:mm, e.g. T+0:40)",
    ]
    unknown_playbook = await _start(
        client, tokens.role("commander"), {"scenario_yaml": SAMPLE.replace("playbook: food_safety", "playbook: nope")}
    )
    assert unknown_playbook.status_code == 422
    assert re.match(
        r"scenario_yaml:\d+ playbook: no playbook for incident type 'nope'", unknown_playbook.json()["detail"][0]["msg"]
    ), unknown_playbook.json()
    not_yaml = await _start(client, tokens.role("commander"), {"scenario_yaml": "id: [unclosed"})
    assert not_yaml.status_code == 422
    assert not_yaml.json()["detail"][0]["msg"].startswith("scenario_yaml:1: not valid YAML")


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("id: x\n$\x8d", "scenario_yaml:2: not valid YAML: unacceptable character #x008d"),  # found by schemathesis
        ("[" * 5000, "scenario_yaml: not valid YAML: nested too deeply"),
        ("a: &a [*a]", "scenario_yaml: not valid YAML: nested too deeply"),
    ],
)
async def test_yaml_the_parser_refuses_is_422_too(
    client: httpx.AsyncClient, tokens: Tokens, text: str, says: str
) -> None:
    reply = await _start(client, tokens.role("commander"), {"scenario_yaml": text})
    assert reply.status_code == 422, reply.text
    assert reply.json()["detail"][0]["msg"].startswith(says), reply.json()


async def test_a_bad_time_is_located_in_the_text_as_sent(client: httpx.AsyncClient, tokens: Tokens) -> None:
    broken = "\n\n" + SAMPLE.replace("end: T+4:00", "end: T+4:7x")
    reply = await _start(client, tokens.role("commander"), {"scenario_yaml": broken})
    assert reply.status_code == 422
    assert [p["msg"] for p in reply.json()["detail"]] == [
        "scenario_yaml:14 end: 'T+4:7x' is not a scenario time (T+h:mm, e.g. T+0:40)"
    ]


async def test_an_unknown_scenario_is_404_naming_the_known_ones(client: httpx.AsyncClient, tokens: Tokens) -> None:
    reply = await _start(client, tokens.role("commander"), {"scenario": "volcano"})
    assert reply.status_code == 404
    assert "'volcano'" in reply.json()["detail"] and "school_canteen" in reply.json()["detail"]


@pytest.mark.parametrize(
    ("body", "field", "says"),
    [
        ({"scenario": "school_canteen", "speed": 0}, "speed", "greater than or equal to 1"),
        ({"scenario": "school_canteen", "speed": 601}, "speed", "less than or equal to 600"),
        ({"scenario": "school_canteen", "bot": "lazy"}, "bot", "'perfect', 'late' or 'absent'"),
        ({"scenario": "school_canteen", "scenario_yaml": SAMPLE}, None, "both was given"),
        ({"speed": 60}, None, "neither was given"),
        ({"scenario": "school_canteen", "participants": []}, "participants", "at least 1"),
        (
            {"scenario": "school_canteen", "participants": ["p-cdc-01", "p-nobody"]},
            "participants",
            "no person 'p-nobody'",
        ),
        ({"scenario": "school_canteen", "colour": "red"}, "colour", "Extra inputs"),
    ],
)
async def test_a_bad_start_is_422_naming_the_field(
    client: httpx.AsyncClient, tokens: Tokens, body: dict[str, Any], field: str | None, says: str
) -> None:
    reply = await _start(client, tokens.role("commander"), body)
    assert reply.status_code == 422, reply.text
    problem = reply.json()["detail"][0]
    if field is not None:
        assert problem["loc"][1] == field, problem
    assert says in problem["msg"], problem


async def test_without_a_scenario_catalog_starting_is_503(
    settings: Settings,
    db: Database,
    tokens: Tokens,
    publisher: InMemoryPublisher,
    organisation: Organisation,
    library: PlaybookLibrary,
) -> None:
    bare = create_app(settings, publisher=publisher, organisation=organisation, playbook_library=library)
    async with (
        bare.router.lifespan_context(bare),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=bare), base_url="http://tocsin.test") as http,
    ):
        reply = await _start(http, tokens.role("commander"), {"scenario": "school_canteen"})
        listed = await http.get(f"{API}/drills/scenarios", headers=tokens.role("commander"))
    assert (reply.status_code, listed.status_code) == (503, 503)
    assert "scenario catalog" in reply.json()["detail"]
    assert publisher.published == []


async def test_when_kafka_refuses_a_start_it_is_503(
    client: httpx.AsyncClient, tokens: Tokens, publisher: InMemoryPublisher
) -> None:
    publisher.fail("Kafka at kafka-1:9092 is unreachable")
    reply = await _start(client, tokens.role("commander"), {"scenario": "school_canteen"})
    assert reply.status_code == 503
    assert "kafka-1:9092 is unreachable" in reply.json()["detail"]
    trail = (await client.get(f"{API}/audit", headers=tokens.role("commander"))).json()["items"]
    assert [(e["command_type"], e["outcome"]) for e in trail] == [(DrillCommandType.START, "publish_failed")]


# -- steering ------------------------------------------------------------------------------------------------

CONTROLS: tuple[tuple[str, dict[str, Any] | None, str, dict[str, Any]], ...] = (
    ("pause", None, DrillCommandType.PAUSE, {}),
    ("resume", None, DrillCommandType.RESUME, {}),
    ("stop", None, DrillCommandType.STOP, {}),
    ("speed", {"speed": 300}, DrillCommandType.SET_SPEED, {"speed": 300}),
    ("injects/parents_call/fire", None, DrillCommandType.INJECT_NOW, {"inject_id": "parents_call"}),
    ("injects/parents_call/hold", None, DrillCommandType.HOLD, {"inject_id": "parents_call"}),
    ("injects/parents_call/release", None, DrillCommandType.RELEASE, {"inject_id": "parents_call"}),
    ("injects/parents_call/skip", None, DrillCommandType.SKIP, {"inject_id": "parents_call"}),
    ("injects/parents_call/cancel", None, DrillCommandType.CANCEL, {"inject_id": "parents_call"}),
)


@pytest.mark.parametrize(("path", "body", "command", "fields"), CONTROLS, ids=[c[0] for c in CONTROLS])
async def test_a_control_command_is_published_keyed_by_the_exercise(
    client: httpx.AsyncClient,
    tokens: Tokens,
    settings: Settings,
    publisher: InMemoryPublisher,
    runs: None,
    path: str,
    body: dict[str, Any] | None,
    command: str,
    fields: dict[str, Any],
) -> None:
    reply = await client.post(f"{API}/drills/{RUNNING}/{path}", json=body, headers=tokens.role("commander"))
    assert reply.status_code == 202, reply.text
    assert (reply.json()["type"], reply.json()["status"], reply.json()["exercise_id"]) == (command, "accepted", RUNNING)
    sent = publisher.find(reply.json()["command_id"])
    value = sent.value
    assert (sent.topic, sent.key) == (settings.topic("drill-commands"), RUNNING)
    assert (value["type"], value["mode"], value["exercise_id"], value["incident_id"]) == (
        command,
        "exercise",
        RUNNING,
        None,
    )
    assert {k: value["payload"][k] for k in fields} == fields
    assert value["payload"]["requested_by"] == {"user": "chief", "roles": ["commander"]}


@pytest.mark.parametrize("path", ["pause", "speed", "injects/first_report/fire"])
async def test_steering_an_unknown_run_is_404(client: httpx.AsyncClient, tokens: Tokens, runs: None, path: str) -> None:
    reply = await client.post(
        f"{API}/drills/EX-nope/{path}", json={"speed": 2} if path == "speed" else None, headers=tokens.role("commander")
    )
    assert reply.status_code == 404
    assert "EX-nope" in reply.json()["detail"]


async def test_an_unknown_inject_is_404(client: httpx.AsyncClient, tokens: Tokens, runs: None) -> None:
    reply = await client.post(f"{API}/drills/{RUNNING}/injects/volcano/fire", headers=tokens.role("commander"))
    assert reply.status_code == 404
    assert "'volcano'" in reply.json()["detail"]


@pytest.mark.parametrize("path", ["pause", "resume", "stop", "injects/first_report/skip"])
async def test_steering_a_finished_run_is_409(client: httpx.AsyncClient, tokens: Tokens, runs: None, path: str) -> None:
    reply = await client.post(f"{API}/drills/{FINISHED}/{path}", headers=tokens.role("commander"))
    assert reply.status_code == 409
    assert "finished" in reply.json()["detail"]


async def test_a_bad_speed_is_422(client: httpx.AsyncClient, tokens: Tokens, runs: None) -> None:
    for speed in (0, 601, "fast"):
        reply = await client.post(
            f"{API}/drills/{RUNNING}/speed", json={"speed": speed}, headers=tokens.role("commander")
        )
        assert reply.status_code == 422, speed
        assert reply.json()["detail"][0]["loc"] == ["body", "speed"]


async def test_every_drill_command_is_in_the_audit_trail(client: httpx.AsyncClient, tokens: Tokens, runs: None) -> None:
    start = await _start(client, {**tokens.role("commander"), "X-Request-ID": "req-7"}, {"scenario": "rural_dinner"})
    pause = await client.post(f"{API}/drills/{RUNNING}/pause", headers=tokens.role("commander"))
    trail = (await client.get(f"{API}/audit", headers=tokens.role("commander"))).json()["items"]
    by_command = {e["command_id"]: e for e in trail}
    started = by_command[start.json()["command_id"]]
    assert (started["command_type"], started["exercise_id"], started["mode"], started["request_id"]) == (
        DrillCommandType.START,
        start.json()["exercise_id"],
        "exercise",
        "req-7",
    )
    assert started["payload"]["scenario_id"] == "rural_dinner" and started["topic"].endswith("drill-commands")
    paused = by_command[pause.json()["command_id"]]
    assert (paused["command_type"], paused["exercise_id"], paused["actor"]) == (
        DrillCommandType.PAUSE,
        RUNNING,
        "chief",
    )


# -- ?wait: the drill host's answer through the projection ----------------------------------------------------


async def _answered(
    client: httpx.AsyncClient,
    tokens: Tokens,
    db: Database,
    publisher: InMemoryPublisher,
    request: typing.Awaitable[httpx.Response],
    answer: typing.Callable[[str, str], dict[str, Any]],
) -> httpx.Response:
    """Send `request` (with ?wait); once its command is published, project the host's `answer(command_id,
    exercise_id)` as the worker would."""
    pending = asyncio.ensure_future(request)
    entry = None
    while entry is None:
        await asyncio.sleep(0.05)
        trail = (await client.get(f"{API}/audit", headers=tokens.role("commander"))).json()["items"]
        entry = trail[-1] if trail else None
        assert not pending.done(), pending.result().text
    assert publisher.find(entry["command_id"]).value["exercise_id"] == entry["exercise_id"]
    await asyncio.sleep(0.3)
    await apply_drill_event(db, answer(entry["command_id"], entry["exercise_id"]))
    return await pending


async def test_wait_returns_200_once_the_host_applied_the_command(
    client: httpx.AsyncClient, tokens: Tokens, db: Database, publisher: InMemoryPublisher, runs: None
) -> None:
    request = client.post(f"{API}/drills/{RUNNING}/pause", params={"wait": 10}, headers=tokens.role("commander"))
    reply = await _answered(
        client,
        tokens,
        db,
        publisher,
        request,
        lambda command, exercise: ev.updated(5, exercise_id=exercise, state="paused", causation=command),
    )
    assert reply.status_code == 200, reply.text
    assert reply.json()["status"] == "applied"
    state = (await client.get(f"{API}/drills/{RUNNING}", headers=tokens.role("commander"))).json()["state"]
    assert state == "paused"


async def test_wait_returns_409_with_the_hosts_reason(
    client: httpx.AsyncClient, tokens: Tokens, db: Database, publisher: InMemoryPublisher, runs: None
) -> None:
    reason = "inject 'parents_call' was already delivered"
    request = client.post(
        f"{API}/drills/{RUNNING}/injects/parents_call/hold", params={"wait": 10}, headers=tokens.role("commander")
    )
    reply = await _answered(
        client,
        tokens,
        db,
        publisher,
        request,
        lambda command, exercise: ev.rejected(command, reason, exercise_id=exercise),
    )
    assert reply.status_code == 409
    assert (reply.json()["status"], reply.json()["detail"]) == ("rejected", reason)


async def test_wait_times_out_as_pending(client: httpx.AsyncClient, tokens: Tokens, runs: None) -> None:
    reply = await client.post(f"{API}/drills/{RUNNING}/resume", params={"wait": 1}, headers=tokens.role("commander"))
    assert reply.status_code == 202
    assert reply.json()["status"] == "pending" and "waited 1 s" in reply.json()["detail"]


async def test_wait_on_start_returns_201_with_the_first_snapshot(
    client: httpx.AsyncClient, tokens: Tokens, db: Database, publisher: InMemoryPublisher
) -> None:
    request = _start(client, tokens.role("commander"), {"scenario": "school_canteen"}, wait=10)
    reply = await _answered(
        client,
        tokens,
        db,
        publisher,
        request,
        lambda command, exercise: ev.updated(0, exercise_id=exercise, causation=command),
    )
    assert reply.status_code == 201, reply.text
    started = reply.json()
    assert started["status"] == "applied"
    assert started["drill"]["exercise_id"] == started["exercise_id"]
    assert started["drill"]["state"] == "running"
    assert [i["id"] for i in started["drill"]["snapshot"]["injects"]] == ["first_report", "parents_call"]


async def test_wait_on_start_returns_409_when_the_host_refuses(
    client: httpx.AsyncClient, tokens: Tokens, db: Database, publisher: InMemoryPublisher
) -> None:
    request = _start(client, tokens.role("commander"), {"scenario": "school_canteen"}, wait=10)
    reply = await _answered(
        client,
        tokens,
        db,
        publisher,
        request,
        lambda command, exercise: ev.rejected(
            command, "the drill service is shutting down", exercise_id=exercise, command=DrillCommandType.START
        ),
    )
    assert reply.status_code == 409
    assert (reply.json()["status"], reply.json()["detail"]) == ("rejected", "the drill service is shutting down")


# -- reads ---------------------------------------------------------------------------------------------------


async def test_runs_are_listed_newest_first_and_filtered(client: httpx.AsyncClient, tokens: Tokens, runs: None) -> None:
    headers = tokens.role("duty_officer")
    listed = (await client.get(f"{API}/drills", headers=headers)).json()["items"]
    assert {r["exercise_id"] for r in listed} == {RUNNING, EXERCISE, FINISHED}
    assert [r["started_at"] for r in listed] == sorted((r["started_at"] for r in listed), reverse=True)
    finished = (await client.get(f"{API}/drills", params={"state": "finished"}, headers=headers)).json()["items"]
    assert [(r["exercise_id"], r["has_report"], r["score"]) for r in finished] == [(FINISHED, True, {"overall": 0.5})]
    by_scenario = (await client.get(f"{API}/drills", params={"scenario": "rural_dinner"}, headers=headers)).json()
    assert [r["exercise_id"] for r in by_scenario["items"]] == [FINISHED]
    assert (await client.get(f"{API}/drills", params={"state": "asleep"}, headers=headers)).status_code == 422


async def test_one_run_comes_with_its_snapshot(client: httpx.AsyncClient, tokens: Tokens, runs: None) -> None:
    reply = await client.get(f"{API}/drills/{RUNNING}", headers=tokens.role("observer"))
    assert reply.status_code == 200
    run = reply.json()
    assert (run["state"], run["seq"], run["speed"], run["bot"], run["has_report"]) == (
        "running",
        4,
        60.0,
        "perfect",
        False,
    )
    assert run["started_at"] == "2026-06-01T08:00:00Z"
    assert run["snapshot"]["injects"][1]["state"] == "on_hold"
    assert (await client.get(f"{API}/drills/EX-nope", headers=tokens.role("observer"))).status_code == 404


async def test_the_report_is_served_as_markdown_or_html(client: httpx.AsyncClient, tokens: Tokens, runs: None) -> None:
    headers = tokens.role("observer")
    markdown = await client.get(f"{API}/drills/{FINISHED}/report", headers=headers)
    assert markdown.status_code == 200
    assert markdown.headers["content-type"].startswith("text/markdown")
    assert markdown.text == "# 推演评估报告\n"
    html = await client.get(f"{API}/drills/{FINISHED}/report", params={"format": "html"}, headers=headers)
    assert html.headers["content-type"].startswith("text/html") and html.text == "<!doctype html><p>AAR</p>"
    assert (
        await client.get(f"{API}/drills/{FINISHED}/report", params={"format": "pdf"}, headers=headers)
    ).status_code == 422


async def test_no_report_before_the_end(client: httpx.AsyncClient, tokens: Tokens, runs: None) -> None:
    reply = await client.get(f"{API}/drills/{RUNNING}/report", headers=tokens.role("commander"))
    assert reply.status_code == 404
    assert "no report yet" in reply.json()["detail"] and "running" in reply.json()["detail"]


# -- who may do what -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("commander", True),
        ("drill_controller", True),
        ("duty_officer", False),
        ("observer", False),
        ("unit_responder", False),
    ],
)
async def test_who_may_start_a_drill(client: httpx.AsyncClient, tokens: Tokens, role: str, allowed: bool) -> None:
    reply = await _start(client, tokens.role(role), {"scenario": "school_canteen"})
    assert reply.status_code == (202 if allowed else 403), reply.text
    if not allowed:
        assert "drill_controller or commander" in reply.json()["detail"]


@pytest.mark.parametrize(
    ("role", "allowed"), [("commander", True), ("duty_officer", False), ("observer", False), ("unit_responder", False)]
)
async def test_who_may_steer_a_drill(
    client: httpx.AsyncClient, tokens: Tokens, runs: None, role: str, allowed: bool
) -> None:
    reply = await client.post(f"{API}/drills/{RUNNING}/pause", headers=tokens.role(role))
    assert reply.status_code == (202 if allowed else 403), reply.text


@pytest.mark.parametrize(
    ("role", "allowed"), [("commander", True), ("duty_officer", True), ("observer", True), ("unit_responder", False)]
)
async def test_who_may_read_drills(
    client: httpx.AsyncClient, tokens: Tokens, runs: None, role: str, allowed: bool
) -> None:
    for path in ("/drills", f"/drills/{RUNNING}", "/drills/scenarios", f"/drills/{FINISHED}/report"):
        reply = await client.get(API + path, headers=tokens.role(role))
        assert reply.status_code == (200 if allowed else 403), (path, reply.text)


@pytest.mark.parametrize("user", ["controller", "drill_watcher", "drill_duty"])
async def test_an_exercise_scoped_user_sees_only_its_run(
    client: httpx.AsyncClient, tokens: Tokens, runs: None, user: str
) -> None:
    headers = tokens.headers(user)
    listed = (await client.get(f"{API}/drills", headers=headers)).json()["items"]
    assert [r["exercise_id"] for r in listed] == [EXERCISE]
    assert (await client.get(f"{API}/drills/{EXERCISE}", headers=headers)).status_code == 200
    for other in (RUNNING, FINISHED):
        assert (await client.get(f"{API}/drills/{other}", headers=headers)).status_code == 404
        assert (await client.get(f"{API}/drills/{other}/report", headers=headers)).status_code == 404


async def test_a_scoped_controller_steers_only_its_exercise(
    client: httpx.AsyncClient, tokens: Tokens, runs: None
) -> None:
    headers = tokens.headers("controller")
    assert (await client.post(f"{API}/drills/{EXERCISE}/pause", headers=headers)).status_code == 202
    other = await client.post(f"{API}/drills/{RUNNING}/pause", headers=headers)
    assert other.status_code == 404 and RUNNING in other.json()["detail"]
