"""What-if evaluation: the grading and the plan a level would start, JSON-ready."""

from __future__ import annotations

import json

from playbooks import Level, evaluate
from tests.unit.playbooks.factories import MONDAY_8AM, facts, food_safety


def test_evaluation_returns_level_rule_explanation_and_actions() -> None:
    data = evaluate(food_safety(), facts(cases=55), venue_type="school", now=MONDAY_8AM).to_dict()
    assert (data["level"], data["rule_id"]) == ("II", "II.school")
    assert data["explanation"].endswith("(rule II.school)")
    assert "notify_education" in {a["key"] for a in data["actions"]}


def test_evaluation_names_the_lead_and_the_groups_formed() -> None:
    result = evaluate(food_safety(), facts(cases=120), now=MONDAY_8AM)
    assert result.lead is not None and result.lead.startswith("市政府")
    assert {"medical", "supplies", "stability"} <= set(result.groups)


def test_evaluation_of_minor_facts_plans_the_minimal_response() -> None:
    data = evaluate(food_safety(), facts(cases=3), now=MONDAY_8AM).to_dict()
    assert data["level"] == "non_graded"
    assert data["lead"] == food_safety().levels[Level.NON_GRADED].lead
    assert {a["key"] for a in data["actions"]} == {
        "unit_report",
        "epidemiological_investigation",
        "seal_suspect_food",
        "case_watch",
    }


def test_evaluation_is_json_serialisable() -> None:
    data = evaluate(food_safety("family_b"), facts(cases=35, crime_suspected=True), now=MONDAY_8AM).to_dict()
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data
