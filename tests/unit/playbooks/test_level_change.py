"""Level changes: automatic raises add the new level's steps; lowering needs a commander and a reason."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from playbooks import Level, LevelDecisionError, decide_level, grade, plan_response, raise_level, suggest_lower
from tests.unit.playbooks.factories import MONDAY_8AM, facts, food_safety, playbook

LATER = MONDAY_8AM + timedelta(hours=4)


def _running(level: Level, **figures: Any) -> list[str]:
    planned = plan_response(
        food_safety(),
        level,
        facts=facts(**figures),
        venue_type=None,
        activated_at=MONDAY_8AM,
        first_report_at=MONDAY_8AM,
    )
    return [a.key for a in planned]


def test_crossing_a_threshold_raises_the_level_with_the_rule() -> None:
    now_facts = facts(cases=10, deaths=1)
    change = raise_level(
        food_safety(),
        Level.IV,
        grade(food_safety(), now_facts),
        running=_running(Level.IV, cases=35),
        facts=now_facts,
        venue_type=None,
        now=LATER,
        first_report_at=MONDAY_8AM,
    )
    assert change is not None
    assert (change.from_level, change.to_level, change.rule_id) == (Level.IV, Level.III, "III.death")
    assert change.automatic


def test_a_raise_from_iv_to_ii_does_not_plan_a_second_medical_treatment() -> None:
    now_facts = facts(cases=120, deaths=1)
    change = raise_level(
        food_safety(),
        Level.IV,
        grade(food_safety(), now_facts),
        running=_running(Level.IV, cases=35),
        facts=now_facts,
        venue_type=None,
        now=LATER,
        first_report_at=MONDAY_8AM,
    )
    assert change is not None
    added = {a.key for a in change.added_actions}
    assert "medical_treatment" not in added
    assert {"phone_report", "activate_headquarters", "written_report_province"} <= added


def test_added_steps_are_due_relative_to_the_raise() -> None:
    now_facts = facts(cases=120, deaths=1)
    change = raise_level(
        food_safety(),
        Level.IV,
        grade(food_safety(), now_facts),
        running=_running(Level.IV, cases=35),
        facts=now_facts,
        venue_type=None,
        now=LATER,
        first_report_at=MONDAY_8AM,
    )
    assert change is not None
    (phone,) = [a for a in change.added_actions if a.key == "phone_report"]
    assert phone.due_at == LATER + timedelta(minutes=30)


def test_no_raise_when_the_automatic_level_is_not_higher() -> None:
    now_facts = facts(cases=40)
    assert (
        raise_level(
            food_safety(),
            Level.III,
            grade(food_safety(), now_facts),
            running=[],
            facts=now_facts,
            venue_type=None,
            now=LATER,
            first_report_at=MONDAY_8AM,
        )
        is None
    )


def test_after_a_commanders_lowering_the_same_facts_do_not_raise_again() -> None:
    now_facts = facts(cases=120)
    assert (
        raise_level(
            food_safety(),
            Level.IV,
            grade(food_safety(), now_facts),
            running=[],
            facts=now_facts,
            venue_type=None,
            now=LATER,
            first_report_at=MONDAY_8AM,
            previous_automatic=Level.III,
        )
        is None
    )


def test_a_raise_names_the_running_steps_it_supersedes() -> None:
    recall = playbook("sampling_recall")
    before = facts(hazard="labelling", product_distributed=True)
    running = [
        a.key
        for a in plan_response(
            recall, Level.IV, facts=before, venue_type=None, activated_at=MONDAY_8AM, first_report_at=MONDAY_8AM
        )
    ]
    after = facts(hazard="severe", product_distributed=True)
    change = raise_level(
        recall,
        Level.IV,
        grade(recall, after),
        running=running,
        facts=after,
        venue_type=None,
        now=LATER,
        first_report_at=MONDAY_8AM,
    )
    assert change is not None
    assert change.superseded == ("recall_tier3_complete", "recall_tier3_notice", "recall_tier3_start")


def test_a_commander_raises_with_a_reason_and_gets_the_new_steps() -> None:
    change = decide_level(
        food_safety(),
        Level.IV,
        Level.III,
        reason="社会影响较大",
        decided_by="张指挥",
        running=_running(Level.IV, cases=35),
        facts=facts(cases=35),
        venue_type=None,
        now=LATER,
        first_report_at=MONDAY_8AM,
    )
    assert (change.decided_by, change.reason, change.rule_id) == ("张指挥", "社会影响较大", None)
    assert "activate_headquarters" in {a.key for a in change.added_actions}
    assert change.explanation == "III: decided by 张指挥: 社会影响较大"


def test_lowering_adds_no_steps() -> None:
    change = decide_level(
        food_safety(),
        Level.II,
        Level.III,
        reason="专家组评估，病例数核减",
        decided_by="李组长",
        running=[],
        facts=facts(cases=120),
        venue_type=None,
        now=LATER,
        first_report_at=MONDAY_8AM,
    )
    assert (change.to_level, change.added_actions, change.is_raise) == (Level.III, (), False)


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_decision_without_a_reason_is_refused(reason: str) -> None:
    with pytest.raises(LevelDecisionError, match="needs a reason"):
        decide_level(
            food_safety(),
            Level.II,
            Level.III,
            reason=reason,
            decided_by="李组长",
            running=[],
            facts=facts(),
            venue_type=None,
            now=LATER,
            first_report_at=MONDAY_8AM,
        )


def test_a_decision_for_the_current_level_is_refused() -> None:
    with pytest.raises(LevelDecisionError, match="already III"):
        decide_level(
            food_safety(),
            Level.III,
            Level.III,
            reason="确认",
            decided_by="李组长",
            running=[],
            facts=facts(),
            venue_type=None,
            now=LATER,
            first_report_at=MONDAY_8AM,
        )


def test_a_level_the_playbook_does_not_plan_is_refused() -> None:
    with pytest.raises(LevelDecisionError, match="no plan for level I"):
        decide_level(
            playbook("sampling_recall"),
            Level.II,
            Level.I,
            reason="上级决定",
            decided_by="王",
            running=[],
            facts=facts(),
            venue_type=None,
            now=LATER,
            first_report_at=MONDAY_8AM,
        )


def test_lower_level_is_suggested_when_facts_fall() -> None:
    suggestion = suggest_lower(food_safety(), Level.III, facts(cases=40), None)
    assert suggestion is not None and suggestion.level is Level.IV


def test_no_suggestion_when_facts_still_justify_the_level() -> None:
    assert suggest_lower(food_safety(), Level.III, facts(cases=150), None) is None
