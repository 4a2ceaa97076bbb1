"""The report contract's case line list and venue-type vocabulary (DESIGN.md §3)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.wire.report import ReportRejected, parse_report
from infra.wire.venue_types import venue_types

BASE: dict[str, Any] = {
    "report_id": "r-1",
    "source": "school",
    "reported_at": "2026-11-29T08:00:00+08:00",
    "location": {"venue": "城关实验小学食堂", "admin_code": "990101001"},
}
PERSON = {"person_key": "h:5f1c9a", "onset": "2026-11-29T06:30:00+08:00", "town": "城关街道", "status": "ill"}


def parse(**fields: Any) -> Any:
    return parse_report(json.dumps({**BASE, **fields}, ensure_ascii=False).encode())


def test_a_valid_list_reaches_the_domain_with_the_reports_time_source_and_county() -> None:
    report = parse(case_list=[PERSON, {**PERSON, "person_key": "h:77aa01", "age": 9, "sex": "male"}]).to_domain()
    assert report.case_list is not None
    assert [c.person_key for c in report.case_list] == ["h:5f1c9a", "h:77aa01"]
    assert {(c.source, c.county, c.reported_at) for c in report.case_list} == {("school", "990101", report.reported_at)}


def test_a_report_without_a_list_has_none() -> None:
    assert parse().to_domain().case_list is None


@pytest.mark.parametrize(
    ("item", "named"),
    [
        ({**PERSON, "onset": "2026-11-29T06:30:00"}, "case_list[1].onset: "),
        ({**PERSON, "status": "sick"}, "case_list[1].status: "),
        ({**PERSON, "person_key": "11010119900307123X"}, "case_list[1].person_key: Value error, looks like a raw ID"),
        ({**PERSON, "age": -1}, "case_list[1].age: "),
        ({k: v for k, v in PERSON.items() if k != "town"}, "case_list[1].town: "),
    ],
)
def test_a_malformed_item_is_rejected_naming_its_index_and_field(item: dict[str, Any], named: str) -> None:
    with pytest.raises(ReportRejected) as caught:
        parse(case_list=[{**PERSON, "person_key": "h:000001"}, item])
    assert named in caught.value.reason


def test_a_person_listed_twice_in_one_report_is_rejected() -> None:
    with pytest.raises(ReportRejected, match=r"case_list\[1\]\.person_key: 'h:5f1c9a' is already listed"):
        parse(case_list=[PERSON, PERSON])


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("school_canteen", "school"),
        ("学校食堂", "school"),
        ("托幼机构", "kindergarten"),
        ("幼儿园", "kindergarten"),
        ("高校", "university"),
        ("农村集体聚餐", "rural_collective_dinner"),
        ("饭店", "restaurant"),
        ("单位食堂", "canteen"),
        ("农贸市场", "market"),
        ("School Canteen", "school"),
        ("ｓｃｈｏｏｌ", "school"),
    ],
)
def test_labels_and_aliases_are_normalised_to_the_code(written: str, code: str) -> None:
    assert parse(venue_type=written).venue_type == code


def test_an_unknown_venue_type_is_rejected_with_the_accepted_codes() -> None:
    with pytest.raises(ReportRejected) as caught:
        parse(venue_type="spaceship")
    assert "venue_type: " in caught.value.reason
    assert all(code in caught.value.reason for code in venue_types().codes)


def test_no_name_belongs_to_two_venue_types() -> None:
    vocabulary = venue_types()
    for venue in vocabulary.types:
        for name in (venue.code, venue.label, *venue.aliases):
            assert vocabulary.normalise(name) == venue.code
