"""Family A (the provincial operations manual): every threshold of DESIGN.md §4, on both sides."""

from __future__ import annotations

from typing import Any

import pytest

from playbooks import Level, grade
from tests.unit.playbooks.factories import facts, food_safety

# (case id, facts, venue_type, expected level, expected rule)
BOUNDARIES: list[tuple[str, dict[str, Any], str | None, Level, str | None]] = [
    ("29 harmed is not graded", {"cases": 29}, None, Level.NON_GRADED, None),
    ("30 harmed is IV", {"cases": 30}, None, Level.IV, "IV.cases"),
    ("99 harmed is IV", {"cases": 99}, None, Level.IV, "IV.cases"),
    ("100 harmed is III", {"cases": 100}, None, Level.III, "III.cases"),
    ("49 harmed at a school is IV", {"cases": 49}, "school", Level.IV, "IV.cases"),
    ("50 harmed at a school is II", {"cases": 50}, "school", Level.II, "II.school"),
    ("50 harmed at a kindergarten is II", {"cases": 50}, "kindergarten", Level.II, "II.school"),
    ("50 harmed at a restaurant is IV", {"cases": 50}, "restaurant", Level.IV, "IV.cases"),
    ("no death among 10 harmed is not graded", {"cases": 10, "deaths": 0}, None, Level.NON_GRADED, None),
    ("1 death is III", {"cases": 10, "deaths": 1}, None, Level.III, "III.death"),
    ("9 deaths is III", {"cases": 10, "deaths": 9}, None, Level.III, "III.death"),
    ("10 deaths is II", {"cases": 10, "deaths": 10}, None, Level.II, "II.deaths"),
    ("1 township is not graded", {"townships": 1}, None, Level.NON_GRADED, None),
    ("2 townships is IV", {"townships": 2}, None, Level.IV, "IV.townships"),
    ("1 county is not graded", {"counties": 1}, None, Level.NON_GRADED, None),
    ("2 counties is III", {"counties": 2}, None, Level.III, "III.counties"),
    ("1 prefecture is not graded", {"prefectures": 1}, None, Level.NON_GRADED, None),
    ("2 prefectures is II", {"prefectures": 2}, None, Level.II, "II.prefectures"),
    ("1 province is not graded", {"provinces": 1}, None, Level.NON_GRADED, None),
    ("2 provinces is I", {"provinces": 2}, None, Level.I, "I.provinces"),
    ("49 harmed during a major event is IV", {"cases": 49, "major_event": True}, None, Level.IV, "IV.cases"),
    ("50 harmed during a major event is II", {"cases": 50, "major_event": True}, None, Level.II, "II.major_event"),
    ("50 harmed without a major event is IV", {"cases": 50}, None, Level.IV, "IV.cases"),
    ("100 harmed with 1 death is II", {"cases": 100, "deaths": 1}, None, Level.II, "II.cases_with_death"),
    ("99 harmed with 1 death is III", {"cases": 99, "deaths": 1}, None, Level.III, "III.death"),
    ("100 harmed with no death is III", {"cases": 100, "deaths": 0}, None, Level.III, "III.cases"),
    ("30 harmed with 1 death is III, not IV", {"cases": 30, "deaths": 1}, None, Level.III, "III.death"),
]
IDS = [case[0] for case in BOUNDARIES]


@pytest.mark.parametrize(("name", "figures", "venue_type", "level", "rule_id"), BOUNDARIES, ids=IDS)
def test_family_a_grades_each_boundary(
    name: str, figures: dict[str, Any], venue_type: str | None, level: Level, rule_id: str | None
) -> None:
    grading = grade(food_safety("family_a"), facts(**figures), venue_type=venue_type)
    assert (grading.level, grading.rule_id) == (level, rule_id), name


def test_a_novel_contaminant_alone_does_not_raise_family_a_to_ii() -> None:
    grading = grade(food_safety("family_a"), facts(novel_contaminant=True, townships=2))
    assert grading.level is Level.IV


def test_explanation_names_fact_value_threshold_and_rule() -> None:
    grading = grade(food_safety(), facts(cases=10, deaths=1))
    assert grading.explanation == "III: deaths = 1 ≥ 1 (rule III.death)"


def test_compound_rule_explains_every_part() -> None:
    grading = grade(food_safety(), facts(cases=50), venue_type="school")
    assert grading.explanation == (
        "II: venue_type = school ∈ {school, kindergarten, university} and cases = 50 ≥ 50 (rule II.school)"
    )


def test_non_graded_explanation_shows_the_figures() -> None:
    grading = grade(food_safety(), facts(cases=12))
    assert grading.explanation == "non_graded: no rule matched (cases = 12)"


def test_highest_matching_level_wins_over_earlier_lower_matches() -> None:
    grading = grade(food_safety(), facts(cases=120, deaths=1, counties=2, townships=3))
    assert grading.level is Level.II
    assert {m.rule_id for m in grading.matched} == {
        "II.cases_with_death",
        "III.counties",
        "III.cases",
        "III.death",
        "IV.townships",
    }


def test_grading_records_the_rule_set_used() -> None:
    assert grade(food_safety(), facts(cases=30)).rule_set == "family_a"
