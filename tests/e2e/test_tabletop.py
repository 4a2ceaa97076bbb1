"""A discussion-based tabletop exercise through the real platform (worker, API, drill service, broker): the
facilitator advances phases (with a time jump), a participant answers, an evaluator rates, the exercise ends after
its last phase and the after-action report quotes the answers and ratings, with the improvement plan as CSV."""

from __future__ import annotations

import csv
import io
import json
import uuid
from typing import Any

import httpx
import pytest

from drills.live import result_from_dict, result_to_dict, run_live
from drills.scenario import SCENARIO_DIR, load_scenario
from drills.scoring import score_run
from drills.simulate import simulate
from tests.e2e.platform import Platform

pytestmark = pytest.mark.e2e

API = "/api/v1"
SCENARIO = """\
id: e2e_tabletop
title: 端到端讨论式推演
playbook: food_safety
end: T+48:30
objectives:
  - {id: control, title: 流行病学调查}
capabilities:
  - {id: coordination, title: 指挥协调与信息报告}
  - {id: recovery, title: 响应终止与善后}
units: [town_office, district_office, cdc]
phases:
  - id: first_hour
    title: 接报与先期处置
    start: T+0:00
    end: T+0:30
    narrative: 卫生院接诊 12 名腹泻患者。
    questions:
      - id: town_first_hour
        to: [town_office]
        capability: coordination
        text: 街道：第一个小时做什么？
        expect:
          - {point: 2 小时内报告区食安办, step: unit_report}
  - id: aftermath
    title: 终止与善后
    start: T+48:00
    end: T+48:30
    jump: T+2 天：患者全部出院。
    questions:
      - id: summary
        to: [district_office]
        capability: recovery
        text: 善后要做什么？
        expect:
          - {point: 10 日内报送总结评估报告, step: final_summary}
injects:
  - id: first_report
    at: T+0:00
    type: report
    title: 卫生院报告 12 人腹泻
    receivers: [town_office]
    report:
      source: hospital
      location: {admin_code: "990101001", town: 城关街道, venue: 老街小吃店}
      venue_type: restaurant
      facts: {cases: 12}
    expect:
      - {id: investigate, objective: control, complete: epidemiological_investigation}
"""


def discussion(client: httpx.Client, exercise_id: str) -> dict[str, Any]:
    """GET /drills/{id}/discussion."""
    reply = client.get(f"{API}/drills/{exercise_id}/discussion")
    assert reply.status_code == 200, reply.text
    body: dict[str, Any] = reply.json()
    return body


def user(platform: Platform, name: str, role: str, exercise_id: str, unit: str | None = None) -> httpx.Client:
    """A user of one exercise (and unit), signed in."""
    scope = ("--unit", unit) if unit else ()
    platform.tocsin("user", "add", name, "--role", role, "--exercise", exercise_id, *scope)
    return platform.client_as(platform.tocsin("token", "issue", name, "--label", "e2e tests").split()[-1])


def test_a_tabletop_exercise_runs_phase_by_phase_to_its_report(drills_platform: Platform) -> None:
    platform, chief = drills_platform, drills_platform.client()
    started = chief.post(f"{API}/drills", params={"wait": 20}, json={"scenario_yaml": SCENARIO, "speed": 600})
    assert started.status_code == 201, started.text
    exercise_id = started.json()["exercise_id"]
    town = user(platform, "tt-town", "unit_responder", exercise_id, unit="town_office")
    evaluator = user(platform, "tt-evaluator", "evaluator", exercise_id)
    wait = {"wait": 20}

    first = discussion(town, exercise_id)
    assert first["discussion"]["current_phase"] == "first_hour"
    answered = town.post(
        f"{API}/drills/{exercise_id}/questions/town_first_hour/answers",
        params=wait,
        json={"text": "2 小时内报告区食安办，组织就医"},
    )
    assert answered.status_code == 200, answered.text
    other_unit = town.post(
        f"{API}/drills/{exercise_id}/questions/town_first_hour/answers", json={"text": "x", "unit": "cdc"}
    )
    assert other_unit.status_code == 403, other_unit.text
    assert (
        town.post(
            f"{API}/drills/{exercise_id}/observations", json={"capability": "coordination", "rating": "P"}
        ).status_code
        == 403
    )

    rated = evaluator.post(
        f"{API}/drills/{exercise_id}/observations",
        params=wait,
        json={"question_id": "town_first_hour", "rating": "S", "note": "未提及登记就餐人员"},
    )
    assert rated.status_code == 200, rated.text
    too_early = evaluator.post(
        f"{API}/drills/{exercise_id}/observations", params=wait, json={"question_id": "summary", "rating": "P"}
    )
    assert too_early.status_code == 409 and "not reached yet" in too_early.text

    platform.wait_for(
        lambda: discussion(chief, exercise_id)["awaiting_facilitator"] or None, timeout=60, what="end of phase 1"
    )
    advanced = chief.post(f"{API}/drills/{exercise_id}/phases/first_hour/advance", params=wait)
    assert advanced.status_code == 200, advanced.text
    after_jump = discussion(chief, exercise_id)
    assert after_jump["discussion"]["current_phase"] == "aftermath"
    assert after_jump["elapsed_seconds"] >= 48 * 3600
    assert [p["state"] for p in after_jump["discussion"]["phases"]] == ["closed", "current"]
    again = chief.post(f"{API}/drills/{exercise_id}/phases/first_hour/advance", params=wait)
    assert again.status_code == 409 and "not the phase in play" in again.text

    chief_answer = chief.post(
        f"{API}/drills/{exercise_id}/questions/summary/answers",
        params=wait,
        json={"text": "做好善后", "unit": "district_office"},
    )
    assert chief_answer.status_code == 200, chief_answer.text
    low = evaluator.post(
        f"{API}/drills/{exercise_id}/observations",
        params=wait,
        json={"question_id": "summary", "rating": "U", "note": "未提总结评估报告时限"},
    )
    assert low.status_code == 200, low.text
    assert chief.post(f"{API}/drills/{exercise_id}/phases/aftermath/advance", params=wait).status_code == 200

    def finished() -> dict[str, Any] | None:
        run: dict[str, Any] = chief.get(f"{API}/drills/{exercise_id}").json()
        return run if run["state"] == "finished" and run["snapshot"].get("improvement_plan") is not None else None

    run = platform.wait_for(finished, timeout=60, what="the finished run")
    score = run["snapshot"]["score"]
    assert score["discussion"]["percent"] == pytest.approx(33.3)  # S (2/3) and U (0)
    assert {q["id"]: q["ratings"] for q in score["discussion"]["questions"]} == {
        "town_first_hour": ["S"],
        "summary": ["U"],
    }

    def report() -> str | None:
        reply = chief.get(f"{API}/drills/{exercise_id}/report")
        return reply.text if reply.status_code == 200 else None

    markdown = platform.wait_for(report, timeout=30, what="the after-action report")
    assert "“2 小时内报告区食安办，组织就医”" in markdown
    assert "未提总结评估报告时限" in markdown and "## 推演阶段 Phases" in markdown

    plan = chief.get(f"{API}/drills/{exercise_id}/improvement-plan.csv")
    assert plan.status_code == 200 and plan.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(plan.text)))
    assert {"owner": "district_office", "source": "question:summary"}.items() <= rows[-1].items()
    assert town.post(f"{API}/drills/{exercise_id}/phases/aftermath/advance").status_code == 403

    # after the exercise: the plan's items are tracked through the drill service (UpdateImprovementItem)
    item = rows[-1]["id"]
    url = f"{API}/drills/{exercise_id}/improvement-plan/{item}"
    started = chief.post(url, params=wait, json={"status": "in_progress", "note": "已修订总结评估流程"})
    assert started.status_code == 200, started.text
    done = chief.post(url, params=wait, json={"status": "done", "note": "已复训"})
    assert done.status_code == 200, done.text
    reopened = chief.post(url, params=wait, json={"status": "open"})  # done → open is not a move: reopen first
    assert reopened.status_code == 409 and "it can become in_progress" in reopened.text

    def tracked() -> dict[str, Any] | None:
        items = chief.get(f"{API}/drills/{exercise_id}/improvement-plan").json()["items"]
        mine = next(i for i in items if i["id"] == item)
        return mine if mine["status"] == "done" else None

    history = platform.wait_for(tracked, timeout=30, what="the tracked item")["history"]
    assert [(h["from"], h["status"], h["note"]) for h in history] == [
        ("open", "in_progress", "已修订总结评估流程"),
        ("in_progress", "done", "已复训"),
    ]
    assert history[0]["by"] and history[0]["by"] == history[1]["by"]


@pytest.mark.parametrize("name", ["cross_town_tabletop", "exam_season_guarantee"])
async def test_the_discussion_samples_play_their_phases_with_the_perfect_bot_through_the_real_broker(
    drills_platform: Platform, name: str
) -> None:
    path = SCENARIO_DIR / f"{name}.yaml"
    scenario = load_scenario(path)
    live = await run_live(
        scenario,
        bootstrap=drills_platform.bootstrap,
        topic_prefix=drills_platform.prefix,
        database_url=drills_platform.env["TOCSIN_DATABASE_URL"],
        speed=600,
        bot="perfect",
        exercise_id=f"EX-tabletop-{uuid.uuid4().hex[:8]}",
        participants=["p-district_office-01", "p-cdc-01"],
    )
    assert (live.score.percent, live.score.overall) == (100.0, 100.0), (live.rejected, live.unanswered)
    assert live.result.offset(live.result.ended_at) == scenario.end
    assert [p.state for p in live.result.discussion.phases] == ["closed"] * len(scenario.phases)
    expected = simulate(scenario, "perfect").result
    assert [(i.id, i.state, i.executed_at) for i in live.result.injects] == [
        (i.id, i.state, i.executed_at) for i in expected.injects
    ]
    stored = json.loads(json.dumps(result_to_dict(live, path.read_text(encoding="utf-8"))))
    assert score_run(result_from_dict(stored)).to_dict() == live.score.to_dict()
