"""The response pipeline through the real broker: correlation, live level changes, planned response."""

from __future__ import annotations

from typing import Any

import pytest

from infra.wire import EventType
from tests.e2e.platform import Platform, incident_detail, incident_for_venue, post_report, timeline
from tests.factories import report_dict

pytestmark = pytest.mark.e2e


def test_updates_raise_the_level_step_by_step_on_one_incident(platform: Platform) -> None:
    first = report_dict(venue_type="restaurant", facts={"cases": 25}, reporter={"unit": "区人民医院"})
    venue = first["location"]["venue"]
    post_report(platform, first)
    opened = platform.wait_for(lambda: incident_for_venue(platform, venue), what="the incident")
    assert opened["level"] == "non_graded"

    post_report(
        platform,
        {
            **report_dict(),
            "report_id": first["report_id"] + "-2",
            "location": first["location"],
            "venue_type": "restaurant",
            "facts": {"cases": 40},
            "reporter": first["reporter"],
        },
    )
    platform.wait_for(lambda: incident_detail(platform, opened["id"])["level"] == "IV", what="level IV")
    post_report(
        platform,
        {
            **report_dict(),
            "report_id": first["report_id"] + "-3",
            "location": first["location"],
            "venue_type": "restaurant",
            "facts": {"cases": 40, "deaths": 1},
            "reporter": first["reporter"],
        },
    )

    # The read model is eventually consistent across projector batches: a command's first event may already
    # carry level III in its snapshot while its LevelChanged is in the next batch, so wait for the history too.
    def raised_to_iii() -> dict[str, Any] | None:
        seen = incident_detail(platform, opened["id"])
        return seen if seen["level"] == "III" and len(seen["level_history"]) >= 2 else None

    final = platform.wait_for(raised_to_iii, what="level III in the history")
    assert [(h["from_level"], h["to_level"]) for h in final["level_history"]] == [("non_graded", "IV"), ("IV", "III")]
    assert final["facts"]["cases"] == 40
    assert [i["id"] for i in _all_at(platform, venue)] == [opened["id"]]


def _all_at(platform: Platform, venue: str) -> list[dict[str, Any]]:
    with platform.client() as client:
        items: list[dict[str, Any]] = client.get("/api/v1/incidents", params={"limit": 500}).json()["items"]
    return [i for i in items if i["location"].get("venue") == venue]


def test_three_hospital_reports_correlate_into_one_incident(platform: Platform) -> None:
    base = report_dict(source="hospital", venue_type="canteen")
    venue = base["location"]["venue"]
    for number, (unit, cases) in enumerate((("区人民医院", 12), ("区中医院", 11), ("城关卫生院", 9))):
        post_report(
            platform,
            {
                **base,
                "report_id": f"{base['report_id']}-{number}",
                "reporter": {"unit": unit},
                "facts": {"cases": cases},
            },
        )

    incident = platform.wait_for(
        lambda: (i := incident_for_venue(platform, venue)) and i["report_count"] == 3 and i,
        what="three reports",
    )
    assert incident["facts"]["cases"] == 32
    assert incident["level"] == "IV"
    assert len(_all_at(platform, venue)) == 1


def test_sixty_pupils_give_level_two_with_task_orders_planned(platform: Platform) -> None:
    report = report_dict(venue_type="school", facts={"cases": 60})
    post_report(platform, report)
    incident = platform.wait_for(lambda: incident_for_venue(platform, report["location"]["venue"]), what="the incident")
    assert incident["level"] == "II"

    def planned() -> list[dict[str, Any]]:
        return [
            item
            for entry in timeline(platform, incident["id"])
            if entry["type"] == EventType.ACTIONS_PLANNED
            for item in entry["data"]["items"]
        ]

    items = platform.wait_for(planned, what="planned actions")
    kinds = {i["kind"] for i in items}
    assert {"notify", "task", "report_up"} <= kinds
    assert any("education" in i["recipients"] for i in items), "a school incident must involve the education bureau"

    def sent() -> list[dict[str, Any]]:
        return [e["data"] for e in timeline(platform, incident["id"]) if e["type"] == EventType.NOTIFICATION_SENT]

    def several_sent() -> list[dict[str, Any]] | None:
        found = sent()
        return found if len(found) >= 5 else None

    notifications = platform.wait_for(several_sent, what="notifications delivered")
    assert {n["status"] for n in notifications} == {"delivered"}
    assert all(n["recipient_name"] for n in notifications), "each notification names the person on duty"
