"""Each expected action is met, late or missed; scores per objective and per unit follow the ADR 0014 formula."""

from __future__ import annotations

from datetime import timedelta

from drills.observations import ActionObserved
from drills.runner import DrillRun
from drills.scoring import LATE, MET, MISSED, OPEN, VOID, Score, score, score_run
from tests.drills.factories import SMALL, T0, acked, at, completed, level, small


def _scored(*observations: ActionObserved, until: float = 180, skip: str | None = None) -> Score:
    run = DrillRun(small(), "ex-1", T0)
    run.tick(T0)
    if skip:
        run.cancel(skip, T0)
    for observation in observations:
        run.observe(observation)
    run.tick(at(until))
    return score_run(run.result())


def _status(result: Score) -> dict[str, tuple[str, float | None]]:
    return {a.expectation.id: (a.status, a.value) for a in result.assessments}


def test_actions_done_in_time_are_met_with_their_time() -> None:
    result = _scored(
        acked("notify_leading_group", 10), completed("medical_treatment", 59), completed("phone_report", 100)
    )
    assert _status(result) == {"alert": (MET, 1.0), "treat": (MET, 1.0), "phone": (MET, 1.0)}
    assert result.assessments[0].done_at == at(10)
    assert result.assessments[0].response_time == timedelta(minutes=10)
    assert result.percent == 100.0


def test_a_late_action_decays_linearly_to_zero_at_twice_the_deadline() -> None:
    result = _scored(
        acked("notify_leading_group", 45), completed("medical_treatment", 150), completed("phone_report", 115)
    )
    assert _status(result) == {"alert": (LATE, 0.5), "treat": (LATE, 0.0), "phone": (LATE, 0.75)}
    assert result.assessments[0].late_by == timedelta(minutes=15)


def test_an_action_never_done_is_missed() -> None:
    assert _status(_scored()) == {"alert": (MISSED, 0.0), "treat": (MISSED, 0.0), "phone": (MISSED, 0.0)}
    assert _scored().percent == 0.0


def test_completing_a_step_also_counts_as_acknowledging_it() -> None:
    assert _status(_scored(completed("notify_leading_group", 20)))["alert"] == (MET, 1.0)


def test_acknowledging_is_not_completing() -> None:
    assert _status(_scored(acked("medical_treatment", 20)))["treat"] == (MISSED, 0.0)


def test_actions_not_yet_due_when_the_run_stops_are_not_scored() -> None:
    result = _scored(acked("notify_leading_group", 10), until=95)
    assert _status(result)["phone"] == (OPEN, None)
    assert result.percent == round(100 * 1 / 3, 1)  # alert met (weight 1), treat missed (weight 2)


def test_expectations_of_a_cancelled_inject_are_void() -> None:
    result = _scored(skip="update")
    assert _status(result)["phone"] == (VOID, None)


def test_scores_are_given_per_objective_and_per_unit_with_weights() -> None:
    result = _scored(acked("notify_leading_group", 10), completed("phone_report", 130))
    objectives = {g.key: (g.percent, g.met, g.late, g.missed) for g in result.objectives}
    assert objectives == {"alerting": (50.0, 1, 1, 0), "treatment": (0.0, 0, 0, 1)}  # phone: late by 2× → 0
    units = {g.key: g.percent for g in result.units}
    assert units == {"district_office": 50.0, "health_commission": 0.0}
    assert [g.title for g in result.units] == ["区食安办", "区卫生健康委"]
    assert result.percent == 25.0  # (1·1 + 2·0 + 1·0) / 4


def test_a_step_that_supersedes_the_expected_one_satisfies_it() -> None:
    scenario = small(SMALL.replace("complete: phone_report", "complete: report_to_province"))
    run = DrillRun(scenario, "ex-1", T0)
    run.tick(at(100))
    windows = [w for w in run.windows() if w.expectation.id == "phone"]
    assert windows[0].expectation.action_keys == ("report_to_province", "written_report_province")
    result = score(windows, [completed("written_report_province", 95)], ended_at=at(180))
    assert result.assessments[0].status == MET


def test_level_expectations_are_met_by_an_incident_at_that_level_or_higher() -> None:
    scenario = small(
        SMALL.replace(
            "        complete: phone_report\n        deadline: 20m\n",
            "        level_at_least: II\n        deadline: 30m\n",
        )
    )
    run = DrillRun(scenario, "ex-1", T0)
    run.tick(at(100))
    run.observe(level("I", 110))
    run.tick(at(180))
    result = score_run(run.result())
    assert _status(result)["phone"] == (MET, 1.0)
    assert result.assessments[2].expectation.unit == "leading_group"


def test_the_same_inputs_give_the_same_score() -> None:
    first = _scored(acked("notify_leading_group", 45)).to_dict()
    assert first == _scored(acked("notify_leading_group", 45)).to_dict()
