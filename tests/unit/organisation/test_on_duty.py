"""Who is on duty: day and night shifts in local time, overrides, the repeating rotation and the fallback."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from playbooks.organisation import Organisation, OrganisationError, Roster, RotationSlot, Shift
from tests.unit.organisation.factories import DAY, MONDAY, NIGHT, TZ, local, small_org

TUESDAY = MONDAY + timedelta(days=1)


def ids(org: Organisation, unit: str, role: str, at: datetime) -> list[str]:
    return [p.id for p in org.on_duty(unit, role, at)]


def test_day_shift_officer_is_on_duty_during_the_day() -> None:
    assert ids(small_org(), "cdc", "duty_officer", local(MONDAY, 10)) == ["cdc-a"]


def test_night_shift_officer_is_on_duty_in_the_evening() -> None:
    assert ids(small_org(), "cdc", "duty_officer", local(MONDAY, 22)) == ["cdc-b"]


def test_night_shift_after_midnight_belongs_to_the_previous_date() -> None:
    resolution = small_org().duty("cdc", "duty_officer", local(TUESDAY, 3))
    assert [p.id for p in resolution.people] == ["cdc-b"]
    assert resolution.shift == Shift("cdc", MONDAY, "night", "cdc-head", "cdc-b")


@pytest.mark.parametrize(
    ("hour", "minute", "officer"), [(7, 59, "cdc-b"), (8, 0, "cdc-a"), (19, 59, "cdc-a"), (20, 0, "cdc-b")]
)
def test_shift_boundaries_start_inclusive_end_exclusive(hour: int, minute: int, officer: str) -> None:
    assert ids(small_org(), "cdc", "duty_officer", local(TUESDAY, hour, minute)) == [officer]


def test_an_instant_in_utc_is_read_in_the_district_time_zone() -> None:
    at = local(MONDAY, 21).astimezone(UTC)  # 13:00 UTC is 21:00 in Shanghai: the night shift
    assert at.hour == 13
    assert ids(small_org(), "cdc", "duty_officer", at) == ["cdc-b"]


def test_unit_leader_is_an_alias_of_leader_on_duty() -> None:
    org = small_org()
    assert org.on_duty("cdc", "unit_leader", local(MONDAY, 10)) == org.on_duty(
        "cdc", "leader_on_duty", local(MONDAY, 10)
    )


def test_the_rotation_repeats_on_any_date_years_later() -> None:
    years_later = MONDAY + timedelta(weeks=52 * 7)
    assert years_later.weekday() == 0
    assert ids(small_org(), "cdc", "duty_officer", local(years_later, 10)) == ["cdc-a"]


def test_the_rotation_also_covers_dates_before_its_anchor() -> None:
    assert ids(small_org(), "cdc", "duty_officer", local(MONDAY - timedelta(weeks=3), 22)) == ["cdc-b"]


def test_a_two_week_cycle_alternates_weeks() -> None:
    week_one = [RotationSlot("cdc", 1, 0, "day", "cdc-head", "cdc-a")]
    week_two = [RotationSlot("cdc", 2, 0, "day", "cdc-deputy", "cdc-b")]
    base = small_org()
    roster = Roster(TZ, (DAY, NIGHT), MONDAY, 2, (*week_one, *week_two))
    org = Organisation(base.units, base.people, roster)
    mondays = [MONDAY + timedelta(weeks=n) for n in range(4)]
    assert [ids(org, "cdc", "duty_officer", local(d, 9)) for d in mondays] == [
        ["cdc-a"],
        ["cdc-b"],
        ["cdc-a"],
        ["cdc-b"],
    ]


def test_a_dated_override_wins_over_the_rotation_on_that_date_only() -> None:
    org = small_org(overrides=(Shift("cdc", MONDAY, "day", "cdc-deputy", "cdc-b"),))
    assert ids(org, "cdc", "duty_officer", local(MONDAY, 10)) == ["cdc-b"]
    assert ids(org, "cdc", "leader_on_duty", local(MONDAY, 10)) == ["cdc-deputy"]
    assert ids(org, "cdc", "duty_officer", local(MONDAY + timedelta(weeks=1), 10)) == ["cdc-a"]


def test_an_override_can_cover_a_date_the_rotation_leaves_open() -> None:
    saturday = MONDAY + timedelta(days=5)
    org = small_org(overrides=(Shift("cdc", saturday, "day", "cdc-head", "cdc-a"),))
    assert not org.duty("cdc", "duty_officer", local(saturday, 10)).fallback


def test_without_a_shift_the_standing_contacts_answer_and_say_so() -> None:
    saturday = MONDAY + timedelta(days=5)
    resolution = small_org().duty("cdc", "duty_officer", local(saturday, 10))
    assert resolution.fallback
    assert [p.id for p in resolution.people] == ["cdc-a", "cdc-b"]
    assert "no cdc shift covers 2026-11-28 10:00" in resolution.explanation
    assert "standing duty officer contacts: CDC-A、CDC-B" in resolution.explanation


def test_a_unit_with_no_roster_falls_back_to_its_leaders() -> None:
    resolution = small_org().duty("district_office", "unit_leader", local(MONDAY, 10))
    assert resolution.fallback
    assert [p.id for p in resolution.people] == ["office-head"]


def test_the_explanation_names_unit_role_date_shift_and_person() -> None:
    explanation = small_org().duty("cdc", "duty_officer", local(date(2026, 11, 27), 9)).explanation
    assert explanation == "cdc duty officer on 2026-11-27 day shift: CDC-A"


def test_standing_roles_are_not_a_fallback() -> None:
    resolution = small_org().duty("town_01", "supervisor", local(MONDAY, 3))
    assert not resolution.fallback
    assert [p.id for p in resolution.people] == ["supervisor"]


def test_a_time_without_a_zone_is_refused() -> None:
    with pytest.raises(OrganisationError, match="no timezone"):
        small_org().on_duty("cdc", "duty_officer", local(MONDAY, 10).replace(tzinfo=None))


def test_an_unknown_unit_is_named() -> None:
    with pytest.raises(OrganisationError, match="'cdcc' is not a known unit"):
        small_org().on_duty("cdcc", "duty_officer", local(MONDAY, 10))
