"""Discussion-based exercises in the pure core (ADR 0029): the phase format and its located errors, the phases the
facilitator advances (time jumps, scenario time held at a phase's end), answers, ratings, scoring and the plan."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drills.clock import ScenarioClock
from drills.control import ADVANCE_PHASE, ANSWER_QUESTION, RECORD_OBSERVATION, apply_command
from drills.discussion import Answer, Rating
from drills.effects import ExerciseEnded, PhaseChanged, PublishReport
from drills.evaluation import RATING_VALUES, combined, counted, score_discussion
from drills.improvement import apply_tracking, improvement_plan, plan_csv, track
from drills.report_discussion import discussion_improvements, discussion_strengths
from drills.runner import DrillCommandError, DrillRun
from drills.scenario import ScenarioError
from drills.scoring import score_run
from tests.drills.factories import SMALL, T0, at, line_of, small

PHASES = """\
capabilities:
  - {id: coordination, title: 指挥协调}
  - {id: recovery, title: 善后恢复}
phases:
  - id: first
    title: 接报
    start: T+0:00
    end: T+1:00
    narrative: 学校报告学生发病。
    questions:
      - id: q_alert
        to: [district_office]
        capability: coordination
        text: 区食安办：接报后先做什么？
        expect:
          - {point: 30 分钟内通知领导小组, step: notify_leading_group}
          - 核实人数
  - id: middle
    title: 处置
    start: T+1:00
    end: T+2:00
    questions:
      - id: q_treat
        to: [health_commission, leading_group]
        capability: coordination
        text: 如何组织救治？
  - id: after
    title: 善后
    start: T+50:00
    end: T+52:00
    jump: T+2 天：患者出院。
    questions:
      - id: q_summary
        to: [district_office]
        capability: recovery
        text: 善后做什么？
        expect:
          - {point: 10 日内报送总结, step: final_summary}
"""
TABLETOP = SMALL.replace("end: T+3:00\n", "end: T+52:00\n") + PHASES


def tabletop(text: str = TABLETOP) -> DrillRun:
    """A run of the small scenario with three phases."""
    return DrillRun(small(text), "EX-1", T0)


def answer(question: str, unit: str, minutes: float, text: str = "通知领导小组") -> Answer:
    """An answer given `minutes` after T+0."""
    return Answer(f"a-{question}-{unit}", question, unit, "someone", text, at(minutes))


def rating(value: str, minutes: float, *, question: str | None = None, capability: str | None = None) -> Rating:
    """A rating by evaluator ev1."""
    return Rating(f"r-{question or capability}", "ev1", value, "note", at(minutes), question, capability)


def problems(text: str) -> list[str]:
    """The located problems of a scenario text."""
    with pytest.raises(ScenarioError) as caught:
        small(text)
    return [str(p) for p in caught.value.problems]


# -- the format ------------------------------------------------------------------------------------------------


def test_phases_questions_and_capabilities_are_read_with_their_points_and_steps() -> None:
    scenario = small(TABLETOP)
    assert [(p.id, p.start, p.end) for p in scenario.phases] == [
        ("first", timedelta(0), timedelta(hours=1)),
        ("middle", timedelta(hours=1), timedelta(hours=2)),
        ("after", timedelta(hours=50), timedelta(hours=52)),
    ]
    question = scenario.question("q_alert")
    assert (question.phase, question.to, question.capability) == ("first", ("district_office",), "coordination")
    assert [(p.text, p.step) for p in question.points] == [
        ("30 分钟内通知领导小组", "notify_leading_group"),
        ("核实人数", None),
    ]
    assert scenario.phases[2].jump == "T+2 天：患者出院。"


def test_a_question_to_a_unit_outside_the_exercise_is_located() -> None:
    text = TABLETOP.replace(
        "to: [district_office]\n        capability: coordination", "to: [police]\n        capability: coordination"
    )
    assert problems(text) == [
        f"small.yaml:{line_of(text, 'to: [police]')} phases[0].questions[0].to[0]: "
        "'police' is not a participating unit or a playbook role"
    ]


def test_an_unknown_step_capability_or_overlap_is_named_with_file_field_and_value() -> None:
    text = (
        TABLETOP.replace("step: final_summary", "step: final_summery")
        .replace("capability: recovery", "capability: recvery")
        .replace("start: T+1:00\n    end: T+2:00", "start: T+0:50\n    end: T+2:00")
    )
    found = problems(text)
    where = f"small.yaml:{line_of(text, 'final_summery')} phases[2].questions[0].expect[0].step"
    assert f"{where}: 'final_summery' is not a step of the playbook" in found
    assert any("phases[2].questions[0].capability: 'recvery' is not a capability" in p for p in found)
    assert any("phases[1].start: 'T+0:50' is before the end of phase 'first' (T+1:00)" in p for p in found)


def test_the_last_phase_ends_with_the_scenario_and_the_first_starts_at_t0() -> None:
    text = TABLETOP.replace("end: T+52:00\nobjectives", "end: T+60:00\nobjectives").replace(
        "start: T+0:00\n    end: T+1:00", "start: T+0:10\n    end: T+1:00"
    )
    found = problems(text)
    assert any("phases[0].start: 'T+0:10': the first phase starts at T+0:00" in p for p in found)
    assert any(
        "phases[2].end: the last phase ends at the end of the scenario (T+60:00), not T+52:00" in p for p in found
    )


def test_the_schema_rejects_a_bad_rating_field_with_its_location() -> None:
    text = TABLETOP.replace("        text: 如何组织救治？\n", "        text: 如何组织救治？\n        rating: P\n")
    assert any("phases[1].questions[0].rating: unknown field 'rating'" in p for p in problems(text))


# -- phases -----------------------------------------------------------------------------------------------------


def test_nothing_fires_after_the_phase_in_play_until_the_facilitator_advances() -> None:
    run = tabletop()
    effects = run.tick(at(120))
    assert [e.inject_id for e in effects if isinstance(e, PublishReport)] == ["first_report"]
    assert run.now == at(60) and run.awaiting_facilitator and run.next_due() is None
    assert not run.finished


def test_advancing_opens_the_next_phase_and_a_gap_is_a_time_jump() -> None:
    run = tabletop()
    run.tick(at(60))
    changed = run.advance_phase("first", at(60))
    assert [e for e in changed if isinstance(e, PhaseChanged)] == [
        PhaseChanged("EX-1", "first", "middle", at(60), at(60))
    ]
    run.tick(at(120))
    jump = [e for e in run.advance_phase("middle", at(120)) if isinstance(e, PhaseChanged)]
    assert jump[0].begins == at(50 * 60)
    run.tick(at(50 * 60))
    ended = run.advance_phase("after", at(52 * 60))
    assert isinstance(ended[-1], ExerciseEnded) and run.ended_at == at(52 * 60)
    assert [p.state for p in run.result().discussion.phases] == ["closed", "closed", "closed"]


def test_only_the_phase_in_play_can_be_closed() -> None:
    run = tabletop()
    with pytest.raises(DrillCommandError, match="'middle' is not the phase in play"):
        run.advance_phase("middle", at(10))


def test_an_early_advance_still_fires_the_rest_of_the_phase_in_order() -> None:
    run = tabletop()
    run.tick(at(5))
    run.advance_phase("first", at(5))
    fired = [e.inject_id for e in run.tick(at(60)) if isinstance(e, PublishReport)]
    assert fired == [] and run.now == at(60)
    assert run.states()[1].state == "executed"  # the T+0:20 call fired on the way


def test_advance_through_the_controller_command_jumps_the_scenario_clock() -> None:
    run = tabletop()
    real = datetime(2026, 1, 1, tzinfo=T0.tzinfo)
    clock = ScenarioClock(real, 60, T0)
    run.tick(at(60))
    for phase, now in (("first", 60), ("middle", 120)):
        apply_command(run, clock, ADVANCE_PHASE, {"phase_id": phase}, real_now=real, scenario_now=at(now))
    assert clock.now(real) == at(50 * 60)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=60 * 60), min_size=1, max_size=8))
def test_phase_moments_never_go_backwards_however_late_the_facilitator_advances(waits: list[int]) -> None:
    run = tabletop()
    moment = T0
    for wait, phase in zip(waits, ("first", "middle", "after"), strict=False):
        moment += timedelta(minutes=wait)
        run.tick(moment)
        run.advance_phase(phase, moment)
    starts = [p.started_at for p in run.result().discussion.phases if p.started_at]
    assert starts == sorted(starts)
    assert all(e.at <= (run.ended_at or run.now) for e in run.log)


# -- answers and ratings ---------------------------------------------------------------------------------------


def test_a_question_of_a_phase_not_reached_cannot_be_answered_or_rated() -> None:
    run = tabletop()
    with pytest.raises(DrillCommandError, match="phase 'middle', not reached yet"):
        run.answer(answer("q_treat", "health_commission", 5))
    with pytest.raises(DrillCommandError, match="not reached yet"):
        run.rate(rating("P", 5, question="q_treat"))


def test_an_answer_comes_from_an_addressee_or_a_participating_unit() -> None:
    run = tabletop()
    run.answer(answer("q_alert", "health_commission", 5))
    with pytest.raises(DrillCommandError, match="'police' is neither an addressee"):
        run.answer(answer("q_alert", "police", 5))
    with pytest.raises(DrillCommandError, match="needs some text"):
        run.answer(answer("q_alert", "district_office", 5, text="  "))


def test_a_rating_is_p_s_m_or_u_of_exactly_one_question_or_capability() -> None:
    run = tabletop()
    with pytest.raises(DrillCommandError, match="'X' is not a rating"):
        run.rate(rating("X", 5, question="q_alert"))
    with pytest.raises(DrillCommandError, match="exactly one"):
        run.rate(rating("P", 5, question="q_alert", capability="coordination"))
    with pytest.raises(DrillCommandError, match="no capability 'nope'"):
        run.rate(rating("P", 5, capability="nope"))


def test_the_answer_and_observation_commands_record_who_said_what() -> None:
    run = tabletop()
    clock = ScenarioClock(datetime(2026, 1, 1, tzinfo=T0.tzinfo), 60, T0)
    real = datetime(2026, 1, 1, tzinfo=T0.tzinfo)
    by = {"requested_by": {"user": "li", "roles": ["unit_responder"]}}
    payload = {"question_id": "q_alert", "unit": "district_office", "text": "通知领导小组", **by}
    apply_command(run, clock, ANSWER_QUESTION, payload, real_now=real, scenario_now=at(10), command_id="c1")
    rated = {"capability": "coordination", "rating": "M", "note": "分工不清", **by}
    apply_command(run, clock, RECORD_OBSERVATION, rated, real_now=real, scenario_now=at(11), command_id="c2")
    record = run.result().discussion
    assert record.answers == (Answer("c1", "q_alert", "district_office", "li", "通知领导小组", at(10)),)
    assert record.ratings == (Rating("c2", "li", "M", "分工不清", at(11), capability="coordination"),)
    with pytest.raises(DrillCommandError, match=r"requested_by\.user"):
        apply_command(run, clock, ANSWER_QUESTION, {**payload, "requested_by": {}}, real_now=real, scenario_now=at(12))


# -- scoring and the plan --------------------------------------------------------------------------------------


def test_the_newest_rating_of_each_evaluator_counts() -> None:
    first, second = rating("U", 5, question="q_alert"), rating("P", 6, question="q_alert")
    other = Rating("r9", "ev2", "M", "", at(7), "q_alert")
    assert counted([first, other, second]) == [other, second]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(("P", "S", "M", "U")), min_size=1, max_size=12))
def test_a_discussion_score_is_the_mean_rating_and_stays_within_0_and_100(values: list[str]) -> None:
    scenario = small(TABLETOP)
    ratings = tuple(Rating(f"r{n}", f"ev{n}", v, "", at(1), "q_alert") for n, v in enumerate(values))
    run = tabletop()
    for r in ratings:
        run.rate(r)
    scored = score_discussion(scenario, run.result().discussion)
    assert scored is not None and scored.percent is not None
    assert 0 <= scored.percent <= 100
    assert scored.percent == pytest.approx(100 * sum(RATING_VALUES[v] for v in values) / len(values), abs=0.05)


def test_ratings_roll_up_per_capability_and_per_unit_and_combine_with_timing() -> None:
    run = tabletop()
    run.tick(at(60))
    run.answer(answer("q_alert", "district_office", 30))
    run.rate(rating("P", 40, question="q_alert"))
    run.advance_phase("first", at(60))
    run.rate(rating("U", 70, question="q_treat"))
    run.rate(Rating("r-cap", "ev1", "S", "", at(71), capability="recovery"))
    run.stop(at(90))
    score = score_run(run.result())
    discussion = score.discussion
    assert discussion is not None
    by_capability = {g.key: (g.percent, g.counts) for g in discussion.capabilities}
    assert by_capability == {"coordination": (50.0, (1, 0, 0, 1)), "recovery": (66.7, (0, 1, 0, 0))}
    by_unit = {g.key: g.percent for g in discussion.units}
    assert by_unit == {"district_office": 100.0, "health_commission": 0.0, "leading_group": 0.0}
    assert discussion.percent == pytest.approx(55.6)
    assert score.overall == combined(score.percent, discussion.percent)


def test_an_operations_only_scenario_scores_as_before() -> None:
    run = DrillRun(small(), "EX-2", T0)
    run.tick(at(180))
    score = score_run(run.result())
    assert score.discussion is None and score.overall == score.percent


def test_the_plan_lists_unanswered_and_low_rated_questions_with_owners_and_due_dates() -> None:
    run = tabletop()
    run.tick(at(60))
    run.rate(Rating("r1", "ev1", "U", "未提时限", at(40), "q_alert"))
    run.rate(Rating("r2", "ev1", "M", "分工不清", at(41), capability="coordination"))
    run.stop(at(60))
    plan = improvement_plan(run.scenario, score_run(run.result()), date(2026, 12, 1))
    discussion = [i for i in plan if not i.source.startswith("action:")]
    assert [(i.source, i.owner, i.due.isoformat()) for i in discussion] == [
        ("question:q_alert", "district_office", "2026-12-15"),  # not answered
        ("question:q_alert", "district_office", "2026-12-15"),  # rated U
        ("capability:coordination", "district_office", "2026-12-31"),  # rated M
    ]
    assert "未提时限" in discussion[1].issue
    text = plan_csv(plan)
    assert text.splitlines()[0] == "issue,action,owner,owner_name,due,source,id,status"
    assert [i.id for i in plan] == [f"ip-{n:02d}" for n in range(1, len(plan) + 1)]
    assert text.count("\n") == len(plan) + 1


ITEM = {"id": "ip-01", "owner": "cdc", "status": "open", "history": []}


def test_an_improvement_item_goes_open_in_progress_done_with_who_when_and_a_note() -> None:
    started = track(ITEM, "in_progress", "已制定培训计划", "cdc1", at(10))
    done = track(started, "done", "已完成复训", "chief", at(20))
    assert done["status"] == "done"
    assert [(h["from"], h["status"], h["by"], h["note"]) for h in done["history"]] == [
        ("open", "in_progress", "cdc1", "已制定培训计划"),
        ("in_progress", "done", "chief", "已完成复训"),
    ]
    assert done["history"][1]["at"] == at(20).isoformat()
    assert track(done, "in_progress", "复查未通过", "chief", at(30))["status"] == "in_progress"  # reopened
    with pytest.raises(DrillCommandError, match="it can become in_progress"):
        track(done, "open", "", "chief", at(30))
    with pytest.raises(DrillCommandError, match="already open"):
        track(ITEM, "open", " ", "chief", at(30))
    assert track(ITEM, "open", "仍在协调", "chief", at(30))["history"][0]["note"] == "仍在协调"
    with pytest.raises(DrillCommandError, match="not a status"):
        track(ITEM, "closed", "", "chief", at(30))


def test_only_a_controller_a_commander_or_the_owner_unit_tracks_an_item() -> None:
    plan = [ITEM, {**ITEM, "id": "ip-02", "owner": "publicity"}]
    mine = {"item_id": "ip-01", "status": "done", "note": "", "requested_by": {"user": "cdc1", "unit": "cdc"}}
    assert apply_tracking(plan, mine, at(5))[0] == 0
    theirs = {**mine, "item_id": "ip-02"}
    with pytest.raises(DrillCommandError, match="may not update item ip-02 of publicity"):
        apply_tracking(plan, theirs, at(5))
    chief = {**theirs, "requested_by": {"user": "chief", "roles": ["commander"]}}
    assert apply_tracking(plan, chief, at(5))[1]["status"] == "done"
    with pytest.raises(DrillCommandError, match="no item 'ip-07'"):
        apply_tracking(plan, {**chief, "item_id": "ip-07"}, at(5))
    legacy = [{k: v for k, v in ITEM.items() if k != "id"}]  # plans written before items had ids
    assert apply_tracking(legacy, mine, at(5))[1]["id"] == "ip-01"


def test_strengths_are_what_was_rated_p_or_s_and_areas_for_improvement_what_was_rated_m_or_u() -> None:
    run = tabletop()
    run.tick(at(60))
    run.rate(Rating("r1", "ev1", "S", "时限意识强", at(40), "q_alert"))
    run.rate(Rating("r2", "ev1", "U", "分工不清", at(41), capability="coordination"))
    run.stop(at(60))
    discussion = score_run(run.result()).discussion
    strengths = discussion_strengths(run.scenario, discussion)
    improvements = discussion_improvements(run.scenario, discussion)
    assert any("（S；时限意识强）" in line for line in strengths)
    assert any("（U；分工不清）" in line for line in improvements)
    assert not any("分工不清" in line for line in strengths)
