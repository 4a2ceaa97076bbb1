"""Targets as playbooks write them resolve to the people on duty, with an explanation."""

from __future__ import annotations

import pytest

from playbooks.organisation import OrganisationError
from tests.unit.organisation.factories import MONDAY, local, small_org

AT = local(MONDAY, 10)


def resolved(target: str, **context: str) -> list[str]:
    return [p.id for p in small_org().resolve(target, AT, **context).people]


def test_a_bare_unit_resolves_to_its_duty_officer() -> None:
    assert resolved("cdc") == ["cdc-a"]


def test_unit_and_role_resolve_to_that_role_on_duty() -> None:
    assert resolved("cdc:leader_on_duty") == ["cdc-head"]
    assert resolved("cdc:unit_leader") == ["cdc-head"]


def test_a_role_alone_resolves_in_the_context_unit() -> None:
    assert resolved("duty_officer", unit="cdc") == ["cdc-a"]
    assert resolved("unit_leader", unit="cdc") == ["cdc-head"]


def test_a_role_alone_without_a_unit_is_an_error() -> None:
    with pytest.raises(OrganisationError, match="'duty_officer' is a role; pass unit="):
        small_org().resolve("duty_officer", AT)


def test_leading_group_is_every_member_chair_first_whatever_the_context() -> None:
    assert resolved("leading_group") == ["chair", "cdc-head"]
    assert resolved("leading_group", unit="cdc") == ["chair", "cdc-head"]


def test_commander_and_chair_are_the_district_head() -> None:
    assert resolved("commander", unit="cdc") == ["chair"]
    assert resolved("leading_group:chair") == ["chair"]


def test_town_targets_accept_id_admin_code_or_name() -> None:
    assert resolved("town:town_01:supervisor") == ["supervisor"]
    assert resolved("town:990101001:supervisor") == ["supervisor"]
    assert resolved("town:城关街道:supervisor") == ["supervisor"]


def test_a_bare_town_target_is_its_duty_officer() -> None:
    assert resolved("town:990101001") == ["town-officer"]


def test_village_targets_resolve_to_the_coordinator() -> None:
    assert resolved("village:village_001:coordinator") == ["coordinator"]
    assert resolved("village:village_001") == ["coordinator"]
    assert resolved("village:990101001001") == ["coordinator"]


def test_town_office_is_the_incidents_town() -> None:
    assert resolved("town_office", town="城关街道") == ["town-officer"]
    assert resolved("town_office:supervisor", town="990101001") == ["supervisor"]
    assert resolved("duty_officer", unit="town_office", town="town_01") == ["town-officer"]


def test_town_office_without_the_incidents_town_is_an_error() -> None:
    with pytest.raises(OrganisationError, match="pass town="):
        small_org().resolve("town_office", AT)


def test_the_resolution_keeps_target_unit_role_and_explanation() -> None:
    resolution = small_org().resolve("town:990101001:supervisor", AT)
    assert (resolution.target, resolution.unit, resolution.role) == (
        "town:990101001:supervisor",
        "town_01",
        "supervisor",
    )
    assert resolution.explanation == "town_01 supervisor: SUPERVISOR"


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("city_office", "'city_office' is neither a known unit nor a known role"),
        ("cdcc:duty_officer", "'cdcc' is not a known unit"),
        ("town:town_99:supervisor", "'town_99' is not a known town"),
        ("village:village_999", "'village_999' is not a known village"),
        ("village:town_01", "'town_01' is not a known village"),
    ],
)
def test_unknown_targets_are_named(target: str, message: str) -> None:
    with pytest.raises(OrganisationError, match=message):
        small_org().resolve(target, AT)


def test_a_role_nobody_holds_resolves_to_nobody_and_says_so() -> None:
    resolution = small_org().resolve("cdc:supervisor", AT)
    assert resolution.people == ()
    assert resolution.explanation == "cdc supervisor: nobody"
