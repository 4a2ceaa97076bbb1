"""Family B (county plans): family A's thresholds plus a spreading novel contaminant → II."""

from __future__ import annotations

from typing import Any

import pytest

from playbooks import Level, grade, load_library
from tests.unit.playbooks.factories import facts, food_safety
from tests.unit.playbooks.test_grading_family_a import BOUNDARIES, IDS


@pytest.mark.parametrize(("name", "figures", "venue_type", "level", "rule_id"), BOUNDARIES, ids=IDS)
def test_family_b_keeps_every_family_a_boundary(
    name: str, figures: dict[str, Any], venue_type: str | None, level: Level, rule_id: str | None
) -> None:
    grading = grade(food_safety("family_b"), facts(**figures), venue_type=venue_type)
    assert (grading.level, grading.rule_id) == (level, rule_id), name


@pytest.mark.parametrize(
    ("townships", "level", "rule_id"),
    [
        (1, Level.NON_GRADED, None),
        (2, Level.II, "II.novel_contaminant"),
    ],
)
def test_novel_contaminant_is_ii_once_it_spreads_to_two_townships(
    townships: int, level: Level, rule_id: str | None
) -> None:
    grading = grade(food_safety("family_b"), facts(novel_contaminant=True, townships=townships))
    assert (grading.level, grading.rule_id) == (level, rule_id)


def test_spreading_without_a_novel_contaminant_stays_iv() -> None:
    assert grade(food_safety("family_b"), facts(townships=2)).level is Level.IV


def test_deployment_selects_family_b_by_name() -> None:
    playbook = load_library(selections={"food_safety": "family_b"}).get("food_safety")
    assert playbook.rule_set == "family_b"


def test_default_rule_set_is_family_a() -> None:
    assert load_library().get("food_safety").rule_set == "family_a"


def test_rule_set_does_not_change_the_version() -> None:
    assert food_safety("family_a").version == food_safety("family_b").version
