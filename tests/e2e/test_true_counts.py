"""True counts through the real broker: case lists count persons, places come from the persons, and an outbreak
below every level still gets its minimal response (issue 14)."""

from __future__ import annotations

from typing import Any

import pytest

from infra.wire import EventType
from tests.e2e.platform import Platform, incident_detail, incident_for_venue, post_report, timeline
from tests.factories import report_dict

pytestmark = pytest.mark.e2e

MINIMAL = {"unit_report", "epidemiological_investigation", "seal_suspect_food", "case_watch"}


def pupil(number: int, status: str = "ill", town: str = "城关街道") -> dict[str, Any]:
    """A listed person; the key is what a school would derive (a hash), never an ID number."""
    return {
        "person_key": f"h:{number:06x}",
        "onset": f"2026-11-29T{6 + number % 5:02}:{number % 60:02}:00+08:00",
        "town": town,
        "village": "桥坑社区",
        "status": status,
    }


def test_overlapping_school_and_hospital_lists_count_35_persons_at_level_iv(platform: Platform) -> None:
    pupils = [pupil(n) for n in range(35)]
    school = report_dict(source="school", venue_type="学校食堂", facts={"cases": 35}, case_list=pupils)
    venue = school["location"]["venue"]
    post_report(platform, school)
    opened = platform.wait_for(lambda: incident_for_venue(platform, venue), what="the incident")
    hospital = {
        **report_dict(source="hospital", reporter={"unit": "区人民医院"}),
        "report_id": school["report_id"] + "-hospital",
        "location": school["location"],
        "venue_type": "school",
        "facts": {"cases": 18, "hospitalized": 18},
        "case_list": [pupil(n, "hospitalized") for n in range(18)],
    }
    post_report(platform, hospital)
    seen = platform.wait_for(
        lambda: (d := incident_detail(platform, opened["id"]))["report_count"] == 2 and d, what="both reports"
    )
    assert (seen["facts"]["cases"], seen["facts"]["hospitalized"], seen["level"]) == (35, 18, "IV")
    assert seen["venue_type"] == "school"
    with platform.client() as client:
        listed = client.get(f"/api/v1/incidents/{opened['id']}/cases").json()
    assert listed["count"] == 35
    assert listed["facts_basis"]["cases"] == "case_list"
    assert sum(c["status"] == "hospitalized" for c in listed["cases"]) == 18


def test_persons_in_two_towns_make_two_townships_and_level_iv(platform: Platform) -> None:
    people = [pupil(100, town="城关街道"), pupil(101, town="东城街道"), pupil(102, town="东城街道")]
    report = report_dict(source="hospital", venue_type="餐馆", facts={"cases": 3}, case_list=people)
    post_report(platform, report)
    incident = platform.wait_for(lambda: incident_for_venue(platform, report["location"]["venue"]), what="incident")
    seen = incident_detail(platform, incident["id"])
    assert seen["facts"]["regions"]["townships"] == 2
    assert (seen["level"], seen["rule_id"]) == ("IV", "IV.townships")


def test_a_twelve_case_report_plans_the_minimal_response_and_pages_its_owners(platform: Platform) -> None:
    report = report_dict(venue_type="restaurant", facts={"cases": 12})
    post_report(platform, report)
    incident = platform.wait_for(lambda: incident_for_venue(platform, report["location"]["venue"]), what="incident")
    assert incident["level"] == "non_graded"

    def planned() -> set[str] | None:
        keys = {
            item["key"]
            for entry in timeline(platform, incident["id"], EventType.ACTIONS_PLANNED)
            for item in entry["data"]["items"]
        }
        return keys or None

    assert platform.wait_for(planned, what="the minimal response") == MINIMAL

    def paged() -> set[str] | None:
        with platform.client() as client:
            rows = client.get(f"/api/v1/incidents/{incident['id']}/notifications").json()
        keys = {row["action_key"] for row in rows}
        return keys if keys >= MINIMAL else None

    platform.wait_for(paged, what="pages for every minimal step")


def test_a_malformed_case_list_is_a_422_naming_the_item_and_field(platform: Platform) -> None:
    report = report_dict(case_list=[pupil(1), {**pupil(2), "onset": "yesterday"}])
    with platform.client() as client:
        reply = client.post("/api/v1/reports", json=report)
    assert reply.status_code == 422
    assert any(e["loc"][-3:] == ["case_list", 1, "onset"] for e in reply.json()["detail"])
