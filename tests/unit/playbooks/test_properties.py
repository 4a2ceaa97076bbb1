"""Properties of grading and planning over the shipped library, for any facts."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from playbooks import Facts, Level, Playbook, Regions, grade, plan_post_incident, plan_response, raise_level
from tests.unit.playbooks.factories import MONDAY_8AM, food_safety, library

FAMILIES = ["family_a", "family_b"]
VENUES = st.sampled_from([None, "school", "kindergarten", "canteen", "restaurant", "rural_collective_dinner"])
COUNT = st.integers(min_value=0, max_value=2000)
SMALL = st.integers(min_value=0, max_value=5)

regions = st.builds(Regions, townships=SMALL, counties=SMALL, prefectures=SMALL, provinces=SMALL)
food_facts = st.builds(
    Facts,
    cases=COUNT,
    hospitalized=COUNT,
    deaths=st.integers(0, 50),
    exposed=COUNT,
    regions=regions,
    major_event=st.booleans(),
    novel_contaminant=st.booleans(),
    crime_suspected=st.booleans(),
    extra=st.fixed_dictionaries({}, optional={"product_distributed": st.booleans()}),
)
moments = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC))


def _all_playbooks() -> list[Playbook]:
    return [*library().all(), food_safety("family_b")]


def _more(facts: Facts, field: str, extra: int) -> Facts:
    if field.startswith("regions."):
        tier = field.split(".")[1]
        return replace(facts, regions=replace(facts.regions, **{tier: getattr(facts.regions, tier) + extra}))
    return replace(facts, **{field: getattr(facts, field) + extra})


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize(
    "field", ["cases", "deaths", "regions.townships", "regions.counties", "regions.prefectures", "regions.provinces"]
)
@given(facts=food_facts, venue=VENUES, extra=st.integers(min_value=1, max_value=200))
@settings(max_examples=60, deadline=None)
def test_more_harm_never_lowers_the_automatic_level(
    family: str, field: str, facts: Facts, venue: str | None, extra: int
) -> None:
    playbook = food_safety(family)
    before = grade(playbook, facts, venue_type=venue).level
    after = grade(playbook, _more(facts, field, extra), venue_type=venue).level
    assert after >= before


@given(facts=food_facts, venue=VENUES)
@settings(max_examples=100, deadline=None)
def test_grading_is_deterministic(facts: Facts, venue: str | None) -> None:
    playbook = food_safety("family_b")
    assert grade(playbook, facts, venue_type=venue) == grade(playbook, facts, venue_type=venue)


@given(facts=food_facts, venue=VENUES)
@settings(max_examples=100, deadline=None)
def test_family_b_never_grades_below_family_a(facts: Facts, venue: str | None) -> None:
    a = grade(food_safety("family_a"), facts, venue_type=venue).level
    b = grade(food_safety("family_b"), facts, venue_type=venue).level
    assert b >= a


def test_every_type_and_level_has_a_plan() -> None:
    for playbook in _all_playbooks():
        graded = {rule.level for rs in playbook.rule_sets.values() for rule in rs.rules}
        for level in graded:
            plan = plan_response(
                playbook, level, facts=Facts(), venue_type=None, activated_at=MONDAY_8AM, first_report_at=MONDAY_8AM
            )
            assert level in playbook.levels and plan, f"{playbook.id} {level.value}"


@given(start=moments, facts=food_facts, venue=VENUES)
@settings(max_examples=60, deadline=None)
def test_every_deadline_is_positive(start: datetime, facts: Facts, venue: str | None) -> None:
    for playbook in _all_playbooks():
        for level in playbook.levels:
            planned = plan_response(
                playbook,
                level,
                facts=facts,
                venue_type=venue,
                activated_at=start,
                first_report_at=start - timedelta(hours=3),
            )
            after = plan_post_incident(playbook, level, facts=facts, venue_type=venue, terminated_at=start)
            assert all(a.deadline > timedelta(0) for a in (*planned, *after))


@pytest.mark.parametrize("family", FAMILIES)
@given(facts=food_facts, venue=VENUES)
@settings(max_examples=60, deadline=None)
def test_a_raise_adds_no_step_that_is_already_running(family: str, facts: Facts, venue: str | None) -> None:
    playbook = food_safety(family)
    running = plan_response(
        playbook, Level.IV, facts=facts, venue_type=venue, activated_at=MONDAY_8AM, first_report_at=MONDAY_8AM
    )
    grading = grade(playbook, facts, venue_type=venue)
    change = raise_level(
        playbook,
        Level.IV,
        grading,
        running=[a.key for a in running],
        facts=facts,
        venue_type=venue,
        now=MONDAY_8AM + timedelta(hours=1),
        first_report_at=MONDAY_8AM,
    )
    if change is None:
        assert grading.level <= Level.IV
        return
    added = [a.key for a in change.added_actions]
    assert len(added) == len(set(added))
    assert not set(added) & {a.key for a in running}


@given(facts=food_facts, venue=VENUES)
@settings(max_examples=60, deadline=None)
def test_a_higher_level_plans_every_step_of_a_lower_one_unless_superseded(facts: Facts, venue: str | None) -> None:
    playbook = food_safety()
    plans = {
        level: {
            a.key
            for a in plan_response(
                playbook, level, facts=facts, venue_type=venue, activated_at=MONDAY_8AM, first_report_at=MONDAY_8AM
            )
        }
        for level in (Level.IV, Level.III, Level.II, Level.I)
    }
    superseded = {old for spec in playbook.all_actions() for old in spec.supersedes}
    assert plans[Level.IV] - superseded <= plans[Level.III] <= plans[Level.II] | superseded
    assert plans[Level.II] <= plans[Level.I] | superseded
