"""An organisation refuses to be built from inconsistent parts."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from playbooks.organisation import Organisation, OrganisationError, Unit
from tests.unit.organisation.factories import MONDAY, person, small_org


def test_a_repeated_unit_id_is_refused() -> None:
    org = small_org()
    with pytest.raises(OrganisationError, match="unit 'cdc' is given twice"):
        Organisation((*org.units, Unit("cdc", "again", "member_unit")), org.people, org.roster)


def test_a_village_must_belong_to_a_town() -> None:
    org = small_org()
    with pytest.raises(OrganisationError, match="village 'village_002' must have a town as its parent"):
        Organisation((*org.units, Unit("village_002", "x", "village", "cdc")), org.people, org.roster)


def test_a_person_of_an_unknown_unit_is_refused() -> None:
    org = small_org()
    with pytest.raises(OrganisationError, match="person 'x': unit 'nowhere' is not a known unit"):
        Organisation(org.units, (*org.people, person("x", "nowhere", "duty_officer")), org.roster)


def test_the_rotation_anchor_must_be_a_monday() -> None:
    org = small_org()
    with pytest.raises(OrganisationError, match="is not a Monday"):
        replace(org, roster=replace(org.roster, anchor=MONDAY + timedelta(days=1)))


def test_queries_list_towns_villages_and_people() -> None:
    org = small_org()
    assert [u.id for u in org.towns()] == ["town_01"]
    assert [u.id for u in org.villages("城关街道")] == ["village_001"]
    assert [p.id for p in org.people_in("village_001")] == ["coordinator"]
    assert org.unit("cdc").name == "区疾控中心"
