"""Roster and contact edits return a new organisation and name what they do not know."""

from __future__ import annotations

from datetime import timedelta

import pytest

from playbooks.organisation import OrganisationError, assign_rotation, assign_shift, clear_shift, update_contacts
from tests.unit.organisation.factories import MONDAY, local, small_org

SATURDAY = MONDAY + timedelta(days=5)


def test_assigning_a_shift_puts_those_people_on_duty_that_date() -> None:
    org = assign_shift(small_org(), "cdc", MONDAY, "day", leader_on_duty="cdc-deputy", duty_officer="cdc-b")
    assert [p.id for p in org.on_duty("cdc", "duty_officer", local(MONDAY, 9))] == ["cdc-b"]
    assert [p.id for p in org.on_duty("cdc", "leader_on_duty", local(MONDAY, 9))] == ["cdc-deputy"]


def test_an_edit_leaves_the_original_untouched() -> None:
    original = small_org()
    assign_shift(original, "cdc", MONDAY, "day", leader_on_duty="cdc-deputy", duty_officer="cdc-b")
    assert original.roster.overrides == ()


def test_assigning_the_same_shift_again_replaces_it() -> None:
    org = assign_shift(small_org(), "cdc", MONDAY, "day", leader_on_duty="cdc-deputy", duty_officer="cdc-b")
    org = assign_shift(org, "cdc", MONDAY, "day", leader_on_duty="cdc-head", duty_officer="cdc-a")
    assert len(org.roster.overrides) == 1
    assert [p.id for p in org.on_duty("cdc", "duty_officer", local(MONDAY, 9))] == ["cdc-a"]


def test_clearing_an_override_restores_the_rotation() -> None:
    org = assign_shift(small_org(), "cdc", MONDAY, "day", leader_on_duty="cdc-deputy", duty_officer="cdc-b")
    assert [p.id for p in clear_shift(org, "cdc", MONDAY, "day").on_duty("cdc", "duty_officer", local(MONDAY, 9))] == [
        "cdc-a"
    ]


def test_clearing_a_date_without_an_override_names_the_date() -> None:
    with pytest.raises(OrganisationError, match="cdc: no override for the night shift on 2026-11-28"):
        clear_shift(small_org(), "cdc", SATURDAY, "night")


def test_assigning_a_rotation_slot_covers_that_weekday_every_week() -> None:
    org = assign_rotation(small_org(), "cdc", 1, 5, "day", leader_on_duty="cdc-head", duty_officer="cdc-b")
    for weeks in (0, 1, 10):
        resolution = org.duty("cdc", "duty_officer", local(SATURDAY + timedelta(weeks=weeks), 9))
        assert not resolution.fallback
        assert [p.id for p in resolution.people] == ["cdc-b"]


@pytest.mark.parametrize(
    ("unit", "shift", "leader", "officer", "message"),
    [
        ("cdcc", "day", "cdc-head", "cdc-a", "'cdcc' is not a known unit"),
        ("cdc", "evening", "cdc-head", "cdc-a", "'evening' is not a shift"),
        ("cdc", "day", "cdc-head", "p-999", "'p-999' is not a known person"),
        ("cdc", "day", "cdc-head", "town-officer", "'town-officer' belongs to 'town_01', not 'cdc'"),
    ],
)
def test_assigning_unknown_things_is_refused_by_name(
    unit: str, shift: str, leader: str, officer: str, message: str
) -> None:
    with pytest.raises(OrganisationError, match=message):
        assign_shift(small_org(), unit, MONDAY, shift, leader_on_duty=leader, duty_officer=officer)


def test_a_rotation_slot_outside_the_cycle_is_refused() -> None:
    with pytest.raises(OrganisationError, match=r"week must be 1\.\.1"):
        assign_rotation(small_org(), "cdc", 2, 0, "day", leader_on_duty="cdc-head", duty_officer="cdc-a")


def test_updating_contacts_merges_channels_and_none_removes_one() -> None:
    org = update_contacts(small_org(), "cdc-a", {"email": " cdc.a@example.gov.cn ", "sms": None})
    assert dict(org.person("cdc-a").contacts) == {"email": "cdc.a@example.gov.cn"}


def test_updating_contacts_of_an_unknown_person_names_them() -> None:
    with pytest.raises(OrganisationError, match="'p-999' is not a known person"):
        update_contacts(small_org(), "p-999", {"sms": "13800000000"})


@pytest.mark.parametrize(("channel", "address"), [("", "x"), ("e mail", "x"), ("email", "  ")])
def test_a_bad_channel_or_empty_address_is_refused(channel: str, address: str) -> None:
    with pytest.raises(OrganisationError, match="cdc-a"):
        update_contacts(small_org(), "cdc-a", {channel: address})
