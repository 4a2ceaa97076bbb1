"""Case line lists: an incident counts persons, not reports (DESIGN.md §3 "Case lists count people")."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from playbooks.cases import Case, CaseStatus, count_cases, merge_cases
from playbooks.incident import CASE_LIST, PER_SOURCE, from_dict, to_dict
from playbooks.levels import Level
from playbooks.report import Report
from tests.unit.domain.factories import T0, incident_with, report


def case(
    key: str, *, status: CaseStatus = CaseStatus.ILL, town: str = "城关街道", minutes: int = 0, **kw: object
) -> Case:
    """A listed person with onset `minutes` before T0, as a report at T0 gives them."""
    fields: dict[str, object] = {
        "person_key": key,
        "onset": T0 - timedelta(hours=6) + timedelta(minutes=minutes),
        "town": town,
        "village": "桥坑社区",
        "status": status,
        "reported_at": T0,
        "report_id": "r-school",
        "source": "school",
        "county": "990101",
    }
    fields.update(kw)
    return Case(**fields)  # type: ignore[arg-type]


def listed(source: str, cases: list[Case], *, minutes: int = 0, venue_type: str = "school") -> Report:
    """A report from `source` at T0 + minutes carrying this case list."""
    at = T0 + timedelta(minutes=minutes)
    base = report(unit=source, venue_type=venue_type, at=at)
    items = tuple(replace(c, reported_at=at, report_id=base.report_id, source=base.source_key) for c in cases)
    return replace(base, case_list=items)


def test_overlapping_school_and_hospital_lists_count_35_persons_and_grade_iv_not_ii() -> None:
    pupils = [case(f"p-{i:03}") for i in range(35)]
    in_hospital = [replace(c, status=CaseStatus.HOSPITALIZED) for c in pupils[:18]]
    state = incident_with(listed("城关实验小学", pupils), listed("区人民医院", in_hospital, minutes=60))
    assert (state.facts.cases, state.facts.hospitalized, state.level) == (35, 18, Level.IV)
    assert state.facts_basis["cases"] == CASE_LIST


def test_the_newest_status_of_a_person_wins_and_deaths_follow() -> None:
    first = listed("区人民医院", [case("p-1", status=CaseStatus.HOSPITALIZED)])
    later = listed("区人民医院", [case("p-1", status=CaseStatus.DIED)], minutes=30)
    state = incident_with(first, later)
    assert (state.facts.cases, state.facts.hospitalized, state.facts.deaths) == (1, 0, 1)
    assert state.level is Level.III


def test_an_older_report_arriving_late_does_not_undo_a_newer_status() -> None:
    newer = listed("区人民医院", [case("p-1", status=CaseStatus.RECOVERED)], minutes=120)
    older = listed("城关实验小学", [case("p-1", status=CaseStatus.HOSPITALIZED)])
    state = incident_with(newer, older)
    assert state.cases["p-1"].status is CaseStatus.RECOVERED


def test_persons_in_two_towns_make_two_townships_and_grade_iv() -> None:
    people = [case("p-1", town="城关街道"), case("p-2", town="东城街道"), case("p-3", town="东城街道")]
    state = incident_with(listed("区人民医院", people, venue_type="restaurant"))
    assert (state.facts.regions.townships, state.facts.regions.counties) == (2, 1)
    assert (state.level, state.rule_id) == (Level.IV, "IV.townships")


def test_counties_follow_the_districts_town_to_county_map_when_given() -> None:
    people = [case("p-1", town="城关街道"), case("p-2", town="青石镇")]
    assert count_cases(people).counties == 1
    assert count_cases(people, {"青石镇": "990102"}).counties == 2


def test_the_last_onset_drives_the_incubation_clock() -> None:
    people = [case("p-1", minutes=0), case("p-2", minutes=90)]
    state = incident_with(listed("区人民医院", people))
    assert state.last_case_at == T0 - timedelta(hours=6) + timedelta(minutes=90)


def test_reports_without_a_list_keep_per_source_sums() -> None:
    state = incident_with(report(12, unit="区人民医院"), report(20, unit="区中医院"))
    assert state.facts.cases == 32
    assert state.facts_basis["cases"] == PER_SOURCE


def test_a_mixed_incident_takes_the_larger_figure_and_says_where_it_came_from() -> None:
    hotline = report(40, unit="12345热线", venue_type="school")
    state = incident_with(hotline, listed("区人民医院", [case(f"p-{i}") for i in range(10)]))
    assert (state.facts.cases, state.facts_basis["cases"]) == (40, PER_SOURCE)
    more = listed("区人民医院", [case(f"p-{i}") for i in range(45)], minutes=10)
    state = incident_with(hotline, more)
    assert (state.facts.cases, state.facts_basis["cases"]) == (45, CASE_LIST)
    assert state.snapshot()["facts_basis"]["cases"] == CASE_LIST


def test_the_case_list_survives_the_state_round_trip() -> None:
    state = incident_with(listed("区人民医院", [case("p-1", age=9, sex="male", symptoms=("呕吐",))]))
    again = from_dict(to_dict(state))
    assert again.cases == state.cases
    assert again.facts == state.facts


_statuses = st.sampled_from(list(CaseStatus))
_entries = st.lists(
    st.builds(
        lambda key, status, town, minutes: case(key, status=status, town=town, minutes=minutes),
        st.sampled_from(["p-1", "p-2", "p-3", "p-4"]),
        _statuses,
        st.sampled_from(["城关街道", "东城街道", "西城街道"]),
        st.integers(0, 600),
    ),
    max_size=20,
)


@given(_entries, st.randoms(use_true_random=False))
def test_the_union_does_not_depend_on_the_order_of_entries_with_equal_report_times(
    entries: list[Case], rnd: object
) -> None:
    shuffled = list(entries)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert merge_cases({}, entries)[0] == merge_cases({}, shuffled)[0]


@given(_entries, _entries)
def test_merging_in_two_steps_equals_merging_at_once(first: list[Case], second: list[Case]) -> None:
    once = merge_cases({}, [*first, *second])[0]
    stepwise = merge_cases(merge_cases({}, first)[0], second)[0]
    assert once == stepwise
    assert count_cases(once.values()).cases == len({c.person_key for c in [*first, *second]})
