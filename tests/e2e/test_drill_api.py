"""A drill controller's whole session through the HTTP API on the real platform (worker, API, drill service):
start a scenario, watch it, steer it, stop it, read the score and the after-action report."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from tests.e2e.platform import Platform

pytestmark = pytest.mark.e2e


def drill(platform: Platform, exercise_id: str) -> dict[str, Any]:
    """The run as GET /drills/{id} shows it."""
    reply = platform.client().get(f"/api/v1/drills/{exercise_id}")
    assert reply.status_code == 200, reply.text
    body: dict[str, Any] = reply.json()
    return body


def wait_state(platform: Platform, exercise_id: str, state: str, timeout: float = 120) -> dict[str, Any]:
    """Poll the run until it is in `state`."""

    def reached() -> dict[str, Any] | None:
        run = drill(platform, exercise_id)
        return run if run["state"] == state else None

    return platform.wait_for(reached, timeout=timeout, what=f"drill {exercise_id} {state}")


def steer(platform: Platform, exercise_id: str, action: str) -> Any:
    """POST a controller command and wait for the drill host's answer."""
    return platform.client().post(f"/api/v1/drills/{exercise_id}/{action}", params={"wait": 20})


def inject_state(run: dict[str, Any], inject_id: str) -> str:
    """One inject's state in the run's live inject list."""
    return str(next(i["state"] for i in run["snapshot"]["injects"] if i["id"] == inject_id))


def test_a_perfectly_played_drill_started_through_the_api_scores_100_with_a_report(drills_platform: Platform) -> None:
    platform = drills_platform
    client = platform.client()
    scenarios = {s["id"] for s in client.get("/api/v1/drills/scenarios").json()}
    assert {"school_canteen", "rural_dinner", "sampling_recall", "public_opinion"} <= scenarios

    reply = client.post(
        "/api/v1/drills", params={"wait": 20}, json={"scenario": "school_canteen", "speed": 600, "bot": "perfect"}
    )
    assert reply.status_code == 201, reply.text
    exercise_id = reply.json()["exercise_id"]
    assert exercise_id in {r["exercise_id"] for r in client.get("/api/v1/drills").json()["items"]}

    finished = wait_state(platform, exercise_id, "finished", timeout=180)
    assert finished["score"]["percent"] == 100.0

    def report() -> httpx.Response | None:
        reply = client.get(f"/api/v1/drills/{exercise_id}/report", params={"format": "md"})
        return reply if reply.status_code == 200 else None

    markdown = platform.wait_for(report, timeout=30, what="the after-action report")
    assert "school" in markdown.text.lower() or "食堂" in markdown.text
    html = client.get(f"/api/v1/drills/{exercise_id}/report", params={"format": "html"})
    assert html.status_code == 200 and "data:image/png;base64," in html.text

    late = steer(platform, exercise_id, "pause")
    assert late.status_code == 409, late.text


def test_a_controller_pauses_fires_a_held_inject_and_stops_a_drill_via_the_api(drills_platform: Platform) -> None:
    platform = drills_platform
    client = platform.client()
    reply = client.post("/api/v1/drills", params={"wait": 20}, json={"scenario": "school_canteen", "speed": 60})
    assert reply.status_code == 201, reply.text
    exercise_id = reply.json()["exercise_id"]
    assert inject_state(drill(platform, exercise_id), "parents_gather") == "on_hold"

    assert steer(platform, exercise_id, "pause").status_code == 200
    frozen = drill(platform, exercise_id)["elapsed_seconds"]
    time.sleep(2.5)  # a periodic snapshot comes every ~2 s; paused time must not move
    assert drill(platform, exercise_id)["elapsed_seconds"] == frozen

    fired = steer(platform, exercise_id, "injects/parents_gather/fire")
    assert fired.status_code == 200, fired.text
    assert inject_state(drill(platform, exercise_id), "parents_gather") == "executed"

    again = steer(platform, exercise_id, "injects/parents_gather/fire")
    assert again.status_code == 409 and "parents_gather" in again.text

    assert steer(platform, exercise_id, "resume").status_code == 200
    assert steer(platform, exercise_id, "stop").status_code == 200
    stopped = wait_state(platform, exercise_id, "finished", timeout=30)
    assert stopped["score"] is not None
