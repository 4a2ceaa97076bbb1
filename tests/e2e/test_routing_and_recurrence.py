"""Routing that never drops a page, and the daily progress report, through the real broker (issue 14).

A report from a town the district does not know is accepted, flagged, and its town's steps page the district duty
officer (the roster's fallback) with a warning on the incident saying who could not be reached and why. The 续报
progress report recurs every 24 h of the worker's clock (TOCSIN_CLOCK_SPEED fast-forwards it).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.e2e.conftest import PlatformFactory
from tests.e2e.platform import Platform, incident_for_venue, post_report
from tests.factories import report_dict

pytestmark = pytest.mark.e2e

DAY_IN_SECONDS = 30
"""One day of the fast platform's clock, in real seconds."""


def read(platform: Platform, path: str) -> Any:
    """A GET on the API, insisting on 200."""
    with platform.client() as client:
        reply = client.get(f"/api/v1{path}")
    reply.raise_for_status()
    return reply.json()


def test_an_unknown_town_pages_the_district_duty_officer_and_shows_the_warning(platform: Platform) -> None:
    report = report_dict(facts={"cases": 40})
    report["location"] = {"venue": f"青石镇中心小学食堂-{report['report_id']}", "town": "青石镇"}
    post_report(platform, report)  # accepted, not rejected
    incident = platform.wait_for(lambda: incident_for_venue(platform, report["location"]["venue"]), what="incident")
    path = f"/incidents/{incident['id']}"

    def routed() -> dict[str, Any] | None:
        seen: dict[str, Any] = read(platform, path)
        keys = {w["action_key"] for w in seen["routing_warnings"]}
        return seen if "unit_report" in keys else None

    seen = platform.wait_for(routed, what="a routing warning for the town office's unit report")
    assert seen["level"] == "IV"  # graded and planned as any other report
    assert seen["warnings"] == ["town '青石镇' is not in the district; its steps go to the district duty officer"]
    warning = next(w for w in seen["routing_warnings"] if w["action_key"] == "unit_report")
    assert "'青石镇' is not a known town" in warning["reason"]
    assert warning["fallback_to"]  # the duty officer on the district government's roster

    def fallback_pages() -> list[dict[str, Any]] | None:
        rows: list[dict[str, Any]] = read(platform, f"{path}/notifications")
        pages = [r for r in rows if r["action_key"] == "unit_report" and r["fallback_for"] == "town_office"]
        return pages if any(r["status"] == "delivered" for r in pages) else None

    pages = platform.wait_for(fallback_pages, what="the fallback page to the district duty officer")
    assert {r["recipient_id"].startswith("p-leading_group-") for r in pages} == {True}
    assert {r["channel"] for r in pages} == {"email", "webhook"}
    rows: list[dict[str, Any]] = read(platform, f"{path}/notifications")
    failed = [r for r in rows if r["action_key"] == "unit_report" and r["status"] == "failed"]
    # the step's own page to the town office failed, naming why; escalations of the overdue step (to the town
    # office's duty officer, then its leader) may have failed the same way by now, depending on the sweep
    assert "town_office" in {r["recipient_id"] for r in failed}
    assert all("'青石镇' is not a known town" in r["reason"] for r in failed), failed


@pytest.fixture(scope="module")
def fast_platform(make_platform: PlatformFactory) -> Iterator[Platform]:
    """A platform whose clock runs a day in DAY_IN_SECONDS real seconds."""
    running = make_platform(TOCSIN_CLOCK_SPEED=str(24 * 3600 // DAY_IN_SECONDS))
    yield running
    running.stop_all()


def test_the_daily_progress_report_recurs_each_day_with_its_own_deadline(fast_platform: Platform) -> None:
    report = report_dict(facts={"cases": 40})
    post_report(fast_platform, report)
    incident = fast_platform.wait_for(
        lambda: incident_for_venue(fast_platform, report["location"]["venue"]), what="incident"
    )
    path = f"/incidents/{incident['id']}/tasks"

    def three_reports() -> dict[str, dict[str, Any]] | None:
        tasks = {t["key"]: t for t in read(fast_platform, path) if t["key"].startswith("progress_report")}
        return tasks if {"progress_report#2", "progress_report#3"} <= set(tasks) else None

    tasks = fast_platform.wait_for(three_reports, timeout=4 * DAY_IN_SECONDS + 60, what="occurrences 2 and 3")
    due = {key: datetime.fromisoformat(task["due_at"]) for key, task in tasks.items()}
    assert due["progress_report#2"] - due["progress_report"] == timedelta(hours=24)
    assert due["progress_report#3"] - due["progress_report#2"] == timedelta(hours=24)
    # each occurrence is its own step: planned when the one before fell due, and escalated on its own
    assert datetime.fromisoformat(tasks["progress_report#2"]["planned_at"]) >= due["progress_report"]
    assert tasks["progress_report"]["escalation_step"] >= 1
