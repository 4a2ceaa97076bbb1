"""The sample scenarios validate, play through the real incident aggregate, and score the same at 1× and 600×."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
import yaml

from drills.observations import IncidentObserved
from drills.scenario import load_scenario, sample_scenarios
from drills.scoring import score_run
from drills.simulate import simulate
from infra.district.loader import SAMPLE_DIR as SAMPLE_DISTRICT
from infra.wire.report import ReportIn
from playbooks.grading import grade
from tests.drills.factories import LIBRARY

SAMPLES = {p.stem: p for p in sample_scenarios()}


def test_the_samples_are_shipped() -> None:
    assert sorted(SAMPLES) == [
        "cross_town_tabletop",
        "exam_season_guarantee",
        "public_opinion",
        "rural_dinner",
        "sampling_recall",
        "school_canteen",
    ]


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_sample_validates_against_schema_and_playbook(name: str) -> None:
    scenario = load_scenario(SAMPLES[name], LIBRARY)
    assert scenario.id == name
    assert scenario.expectations()


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_the_same_bot_scores_the_same_at_1x_and_600x(name: str) -> None:
    scenario = load_scenario(SAMPLES[name], LIBRARY)
    slow = simulate(scenario, "late", library=LIBRARY, speed=1, step=timedelta(seconds=7))
    fast = simulate(scenario, "late", library=LIBRARY, speed=600, step=timedelta(seconds=1.3))
    assert score_run(slow.result).to_dict() == score_run(fast.result).to_dict()
    assert slow.result.injects == fast.result.injects


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_a_perfect_bot_scores_100_and_no_contingency_fires(name: str) -> None:
    scenario = load_scenario(SAMPLES[name], LIBRARY)
    simulation = simulate(scenario, "perfect", library=LIBRARY, speed=600)
    assert simulation.rejected == ()
    assert score_run(simulation.result).percent == 100.0
    contingencies = [i for i in simulation.result.injects if i.delivery == "contingency"]
    assert contingencies and all(i.state == "cancelled" for i in contingencies)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_an_absent_bot_scores_0_and_every_contingency_fires(name: str) -> None:
    scenario = load_scenario(SAMPLES[name], LIBRARY)
    simulation = simulate(scenario, "absent", library=LIBRARY, speed=600)
    assert score_run(simulation.result).percent == 0.0
    contingencies = [i for i in simulation.result.injects if i.delivery == "contingency"]
    assert contingencies and all(i.state == "executed" for i in contingencies)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_a_late_bot_scores_half(name: str) -> None:
    scenario = load_scenario(SAMPLES[name], LIBRARY)
    assert score_run(simulate(scenario, "late", library=LIBRARY, speed=600).result).percent == 50.0


def test_the_school_canteen_escalates_from_iv_to_ii_at_the_update() -> None:
    scenario = load_scenario(SAMPLES["school_canteen"], LIBRARY)
    result = simulate(scenario, "absent", library=LIBRARY, speed=600).result
    levels = [(result.offset(o.at), o.level) for o in result.observations if isinstance(o, IncidentObserved)]
    assert levels == [(timedelta(0), "IV"), (timedelta(minutes=40), "II")]


def test_the_rural_dinner_plans_the_insurance_report() -> None:
    scenario = load_scenario(SAMPLES["rural_dinner"], LIBRARY)
    result = simulate(scenario, "perfect", library=LIBRARY, speed=600).result
    done = [a for a in score_run(result).assessments if a.expectation.target == "insurance_report"]
    assert [a.status for a in done] == ["met"]


def _sample_district_places() -> tuple[set[str], set[str], set[str]]:
    """Town names, village names and admin codes of the sample district."""
    units = yaml.safe_load((SAMPLE_DISTRICT / "units.yaml").read_text(encoding="utf-8"))["units"]
    towns = {u["name"] for u in units if u["kind"] == "town"}
    villages = {u["name"] for u in units if u["kind"] == "village"}
    codes = {str(u["admin_code"]) for u in units if u.get("admin_code")}
    return towns, villages, codes


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_sample_report_names_places_of_the_sample_district(name: str) -> None:
    towns, villages, codes = _sample_district_places()
    scenario = load_scenario(SAMPLES[name], LIBRARY)
    locations = [dict(i.report["location"]) for i in scenario.injects if i.report is not None]
    assert locations
    for location in locations:
        assert location.get("town") in towns
        if "village" in location:
            assert location["village"] in villages
        assert location.get("admin_code") in codes


def test_the_rural_dinner_suspects_a_crime_and_expects_the_police_to_be_notified() -> None:
    scenario = load_scenario(SAMPLES["rural_dinner"], LIBRARY)
    result = simulate(scenario, "perfect", library=LIBRARY, speed=600).result
    police = [a for a in score_run(result).assessments if a.expectation.target == "involve_police"]
    assert [a.status for a in police] == ["met"]


def test_listeria_in_ready_to_eat_meat_is_a_severe_hazard_recalled_at_tier_one_from_the_lab_result() -> None:
    scenario = load_scenario(SAMPLES["sampling_recall"], LIBRARY)
    lab = scenario.inject("lab_result").report or {}
    assert lab["facts"]["hazard"] == "severe"
    result = simulate(scenario, "absent", library=LIBRARY, speed=600).result
    levels = [(result.offset(o.at), o.level) for o in result.observations if isinstance(o, IncidentObserved)]
    assert levels == [(timedelta(0), "II")]


def test_the_public_opinion_drill_never_rewards_raising_the_level_on_a_refuted_rumour() -> None:
    scenario = load_scenario(SAMPLES["public_opinion"], LIBRARY)
    assert [e.id for e in scenario.expectations() if e.kind == "level_at_least"] == []
    result = simulate(scenario, "perfect", library=LIBRARY, speed=600).result
    levels = {o.level for o in result.observations if isinstance(o, IncidentObserved)}
    assert levels == {"IV", "III"}
    referral = [a for a in score_run(result).assessments if a.expectation.target == "refer_rumour"]
    assert [a.status for a in referral] == ["met"]


def test_the_cross_town_drill_spreads_one_product_over_two_towns_and_runs_to_aftermath() -> None:
    scenario = load_scenario(SAMPLES["cross_town_tabletop"], LIBRARY)
    towns = {dict(i.report["location"])["venue"] for i in scenario.injects if i.report is not None}
    assert towns == {"老街卤味坊"}
    last = scenario.phases[-1]
    assert last.jump and {p.step for q in last.questions for p in q.points} >= {
        "final_summary",
        "costs_and_compensation",
    }
    result = simulate(scenario, "perfect", library=LIBRARY, speed=600).result
    assert result.offset(result.ended_at) == scenario.end
    assert [p.state for p in result.discussion.phases] == ["closed"] * len(scenario.phases)
    score = score_run(result)
    assert (score.percent, score.discussion.percent if score.discussion else None) == (100.0, 100.0)


def test_the_exam_season_guarantee_is_level_ii_only_because_of_the_major_event() -> None:
    scenario = load_scenario(SAMPLES["exam_season_guarantee"], LIBRARY)
    update = scenario.inject("escalation_update").report or {}
    assert update["facts"]["major_event"] is True and 50 <= update["facts"]["cases"] < 100
    result = simulate(scenario, "absent", library=LIBRARY, speed=600).result
    levels = [(result.offset(o.at), o.level) for o in result.observations if isinstance(o, IncidentObserved)]
    assert levels == [(timedelta(hours=34, minutes=40), "II")]
    facts = ReportIn.model_validate({**update, "report_id": "x", "reported_at": "2027-06-07T19:40:00+08:00"})
    during = facts.to_domain().facts
    playbook = LIBRARY.get("food_safety")
    assert grade(playbook, during, venue_type="restaurant").rule_id == "II.major_event"
    ordinary = grade(playbook, replace(during, major_event=False), venue_type="restaurant")
    assert ordinary.level.value == "IV"


def test_the_exam_season_guarantee_starts_with_deployment_and_runs_to_aftermath_and_lessons() -> None:
    scenario = load_scenario(SAMPLES["exam_season_guarantee"], LIBRARY)
    first, last = scenario.phases[0], scenario.phases[-1]
    assert not first.jump and all(i.at is None or i.at > first.end for i in scenario.injects)
    assert last.jump and {p.step for q in last.questions for p in q.points} >= {"final_summary", "destroy_food"}
    assert {u for q in scenario.questions() for u in q.to} >= {"education", "police", "inspection_institute"}
    result = simulate(scenario, "perfect", library=LIBRARY, speed=600).result
    assert result.offset(result.ended_at) == scenario.end
    score = score_run(result)
    assert (score.percent, score.discussion.percent if score.discussion else None) == (100.0, 100.0)
