"""Response planning: each level's steps, their conditions, owners and due times."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from playbooks import Level, PlannedAction, plan_additions, plan_post_incident, plan_response
from tests.unit.playbooks.factories import MONDAY_8AM, facts, food_safety, playbook

FIRST_REPORT = MONDAY_8AM - timedelta(hours=3)


def _plan(level: Level, venue_type: str | None = None, **figures: Any) -> dict[str, PlannedAction]:
    planned = plan_response(
        food_safety(),
        level,
        facts=facts(**figures),
        venue_type=venue_type,
        activated_at=MONDAY_8AM,
        first_report_at=FIRST_REPORT,
    )
    return {a.key: a for a in planned}


def test_non_graded_plans_the_minimal_response() -> None:
    plan = _plan(Level.NON_GRADED, cases=5)
    assert set(plan) == {"unit_report", "epidemiological_investigation", "seal_suspect_food", "case_watch"}
    assert plan["unit_report"].due_at == FIRST_REPORT + timedelta(hours=2)
    assert {a.level for a in plan.values()} == {Level.NON_GRADED}


def test_a_level_inherits_the_minimal_response_and_adds_only_its_own_steps() -> None:
    running = set(_plan(Level.NON_GRADED, cases=12))
    added = plan_additions(
        food_safety(),
        Level.IV,
        running=running,
        facts=facts(cases=35),
        venue_type=None,
        now=MONDAY_8AM,
        first_report_at=FIRST_REPORT,
    )
    keys = {a.key for a in added}
    assert not keys & running
    assert {"notify_leading_group", "medical_treatment", "initial_report"} <= keys


def test_level_iv_plans_the_base_response_with_owners() -> None:
    plan = _plan(Level.IV, cases=35)
    assert plan["medical_treatment"].owner == "health_commission"
    assert plan["epidemiological_investigation"].owner == "cdc"
    assert plan["seal_suspect_food"].owner == "market_regulation"
    assert plan["emergency_testing"].owner == "inspection_institute"
    assert plan["public_information"].owner == "publicity"


def test_initial_report_is_due_one_hour_after_activation() -> None:
    assert _plan(Level.IV, cases=35)["initial_report"].due_at == MONDAY_8AM + timedelta(hours=1)


def test_unit_report_is_due_two_hours_after_the_first_report() -> None:
    action = _plan(Level.IV, cases=35)["unit_report"]
    assert (action.due_at, action.relative_to) == (FIRST_REPORT + timedelta(hours=2), "first_report")


def test_level_ii_adds_a_phone_report_within_thirty_minutes() -> None:
    action = _plan(Level.II, cases=120, deaths=1)["phone_report"]
    assert (action.kind, action.deadline) == ("report_up", timedelta(minutes=30))


def test_level_iv_has_no_phone_report() -> None:
    assert "phone_report" not in _plan(Level.IV, cases=35)


def test_level_ii_written_report_supersedes_the_level_iii_relay() -> None:
    plan = _plan(Level.II, cases=120, deaths=1)
    assert "written_report_province" in plan
    assert "report_to_province" not in plan


def test_education_bureau_is_notified_for_a_school() -> None:
    assert _plan(Level.IV, "school", cases=35)["notify_education"].recipients == ("education",)


def test_education_bureau_is_notified_for_a_kindergarten() -> None:
    assert "notify_education" in _plan(Level.IV, "kindergarten", cases=35)


def test_education_bureau_is_not_notified_for_a_restaurant() -> None:
    assert "notify_education" not in _plan(Level.IV, "restaurant", cases=35)


def test_police_are_involved_only_when_a_crime_is_suspected() -> None:
    assert "involve_police" in _plan(Level.IV, cases=35, crime_suspected=True)
    assert "involve_police" not in _plan(Level.IV, cases=35)


def test_a_rural_collective_dinner_opens_an_insurance_claim() -> None:
    assert _plan(Level.IV, "rural_collective_dinner", cases=35)["insurance_report"].kind == "insurance_claim"


def test_every_planned_step_carries_an_escalation_chain() -> None:
    assert all(a.escalation for a in _plan(Level.I, "school", cases=500, provinces=2).values())


def test_actions_are_ordered_by_due_time() -> None:
    due = [a.due_at for a in _plan(Level.II, cases=120, deaths=1).values()]
    assert due == sorted(due)


def test_message_templates_are_filled_from_the_facts() -> None:
    message = _plan(Level.IV, cases=35, deaths=0)["notify_leading_group"].message
    assert "患病 35 人" in message


def test_final_summary_is_due_ten_days_after_the_end() -> None:
    (summary,) = [
        a
        for a in plan_post_incident(
            food_safety(), Level.III, facts=facts(cases=120), venue_type=None, terminated_at=MONDAY_8AM
        )
        if a.key == "final_summary"
    ]
    assert (summary.due_at, summary.relative_to) == (MONDAY_8AM + timedelta(days=10), "termination")


def test_insurance_settlement_follows_a_rural_collective_dinner_only() -> None:
    def keys(venue: str) -> set[str]:
        return {
            a.key
            for a in plan_post_incident(
                food_safety(), Level.IV, facts=facts(cases=35), venue_type=venue, terminated_at=MONDAY_8AM
            )
        }

    assert "insurance_claim" in keys("rural_collective_dinner")
    assert "insurance_claim" not in keys("school")


def test_a_condition_turning_true_adds_only_the_new_step() -> None:
    running = _plan(Level.IV, cases=35)
    added = plan_additions(
        food_safety(),
        Level.IV,
        running=running,
        facts=facts(cases=35, crime_suspected=True),
        venue_type=None,
        now=MONDAY_8AM + timedelta(hours=5),
        first_report_at=FIRST_REPORT,
    )
    assert [a.key for a in added] == ["involve_police"]
    assert added[0].due_at == MONDAY_8AM + timedelta(hours=6)


def test_tier_one_recall_replaces_the_lower_tiers() -> None:
    planned = plan_response(
        playbook("sampling_recall"),
        Level.II,
        facts=facts(hazard="severe", product_distributed=True),
        venue_type=None,
        activated_at=MONDAY_8AM,
        first_report_at=MONDAY_8AM,
    )
    recalls = {a.key for a in planned if a.kind == "recall"}
    assert recalls == {"recall_tier1_start", "recall_tier1_complete"}


def test_tier_one_recall_completes_within_ten_working_days() -> None:
    planned = plan_response(
        playbook("sampling_recall"),
        Level.II,
        facts=facts(hazard="severe", product_distributed=True),
        venue_type=None,
        activated_at=MONDAY_8AM,
        first_report_at=MONDAY_8AM,
    )
    (complete,) = [a for a in planned if a.key == "recall_tier1_complete"]
    assert complete.due_at == MONDAY_8AM + timedelta(days=14)
    assert complete.deadline_text == "10 working days"


def test_an_undistributed_batch_needs_no_recall() -> None:
    planned = plan_response(
        playbook("sampling_recall"),
        Level.III,
        facts=facts(hazard="general", product_distributed=False),
        venue_type=None,
        activated_at=MONDAY_8AM,
        first_report_at=MONDAY_8AM,
    )
    assert not [a for a in planned if a.kind == "recall"]


def test_public_opinion_plans_verify_respond_and_publish() -> None:
    planned = plan_response(
        playbook("public_opinion"),
        Level.IV,
        facts=facts(reach=20000),
        venue_type=None,
        activated_at=MONDAY_8AM,
        first_report_at=MONDAY_8AM,
    )
    assert {"verify_facts", "respond", "publish_findings"} <= {a.key for a in planned}


def test_major_public_opinion_responds_within_five_hours() -> None:
    planned = plan_response(
        playbook("public_opinion"),
        Level.III,
        facts=facts(reach=200000),
        venue_type=None,
        activated_at=MONDAY_8AM,
        first_report_at=MONDAY_8AM,
    )
    keys = {a.key: a for a in planned}
    assert keys["respond_fast"].deadline == timedelta(hours=5)
    assert "respond" not in keys
