"""Who a message inject addresses: units' members, participants holding a role, everyone playing; unknown names."""

from __future__ import annotations

from drills.messages import resolve_receivers
from infra.district import load_organisation

ORG = load_organisation()
PLAYING = ["p-education-01", "p-district_office-01", "p-leading_group-01", "p-town_01-01"]


def ids(receivers: list[str], participants: list[str] = PLAYING) -> tuple[list[str], list[str]]:
    """The person ids addressed and the reasons of the receivers that address nobody."""
    people, failed = resolve_receivers(ORG, receivers, participants)
    return [p.id for p in people], [f.reason for f in failed]


def test_a_unit_addresses_all_its_members_and_the_dispatcher_sorts_out_who_plays() -> None:
    people, failed = ids(["education"])
    assert people == [p.id for p in ORG.people_in("education")]
    assert failed == []


def test_a_role_addresses_only_the_participants_holding_it() -> None:
    people, _ = ids(["commander"])
    assert people == ["p-leading_group-01"]
    people, _ = ids(["leading_group"])
    assert set(people) == {*(p.id for p in ORG.people_in("leading_group")), "p-district_office-01", "p-education-01"}


def test_the_incident_town_addresses_the_participants_of_any_town() -> None:
    assert ids(["town_office"]) == (["p-town_01-01"], [])


def test_no_receivers_address_every_participant() -> None:
    assert ids([]) == (PLAYING, [])


def test_a_receiver_that_names_nothing_or_nobody_playing_is_reported() -> None:
    assert ids(["nowhere"]) == ([], ["receiver 'nowhere' is not a unit or a role of the organisation"])
    assert ids(["duty_officer"], ["p-education-01"]) == (
        [],
        ["receiver 'duty_officer': no participant of the exercise"],
    )
