"""A working-day deadline across the National Day holiday and its make-up Saturday, through the real broker (issue 14).

The recall of the sampling_recall playbook completes within 30 working days. The built-in playbook counts them from
the level's activation (the worker's wall clock), which a test cannot move to before 1 October 2026; this test runs
a platform on a copy of the built-in library whose only change is that this step counts from the first report, and
posts a report made on 30 September 2026. The expected deadline is counted here from `chinese_calendar.is_workday`
(the State Council's 2026 notice: 1–7 October off, Saturday 10 October worked), not from Tocsin's code.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from playbooks.library import LIBRARY_DIR
from tests.e2e.conftest import PlatformFactory
from tests.e2e.platform import Platform, incident_for_venue
from tests.factories import report_dict

pytestmark = pytest.mark.e2e

CHINA = ZoneInfo("Asia/Shanghai")
STEP = "recall_tier3_complete"
WORKING_DAYS = 30
REPORTED_AT = datetime(2026, 9, 30, 10, 0, tzinfo=CHINA)
"""The last working day before National Day (1–7 October 2026)."""


def count_working_days(start: datetime, amount: int, is_working_day: Any) -> datetime:
    """`amount` working days after `start`, at its time of day, counting the local dates `is_working_day` accepts."""
    moment, left = start, amount
    while left > 0:
        moment += timedelta(days=1)
        if is_working_day(moment.date()):
            left -= 1
    return moment


def monday_to_friday(day: date) -> bool:
    return day.weekday() < 5


@pytest.fixture(scope="module")
def recall_platform(make_platform: PlatformFactory, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """A platform whose sampling_recall playbook counts the recall's completion from the first report."""
    library = Path(tmp_path_factory.mktemp("playbooks"))
    for source in LIBRARY_DIR.iterdir():
        if source.is_file():
            shutil.copy(source, library / source.name)
    text = (library / "sampling_recall.yaml").read_text(encoding="utf-8")
    anchored = f"        deadline: {WORKING_DAYS} working days\n"
    assert text.count(anchored) == 1, "the tier-3 recall completion step changed: update this test"
    (library / "sampling_recall.yaml").write_text(
        text.replace(anchored, anchored + "        relative_to: first_report\n"), encoding="utf-8"
    )
    running = make_platform(TOCSIN_PLAYBOOK_DIR=str(library))
    yield running
    running.stop_all()


def test_a_working_day_deadline_skips_national_day_and_counts_the_make_up_saturday(recall_platform: Platform) -> None:
    expected = count_working_days(REPORTED_AT, WORKING_DAYS, chinese_calendar.is_workday)
    weekdays_only = count_working_days(REPORTED_AT, WORKING_DAYS, monday_to_friday)
    assert expected != weekdays_only, "the holiday must matter, or this test proves nothing"
    assert not chinese_calendar.is_workday(date(2026, 10, 5))  # a Monday of the holiday
    assert chinese_calendar.is_workday(date(2026, 10, 10))  # the make-up Saturday

    report = report_dict(
        source="lab",
        incident_type="sampling_recall",
        reported_at=REPORTED_AT.isoformat(),
        venue_type="food_producer",
        facts={"hazard": "labelling", "product_distributed": True},
    )
    report["facts"].pop("cases", None)
    report["location"]["venue"] = f"测试食品有限公司-{report['report_id']}"
    with recall_platform.client() as client:
        reply = client.post("/api/v1/reports", json=report)
    assert reply.status_code == 202, reply.text
    incident = recall_platform.wait_for(
        lambda: incident_for_venue(recall_platform, report["location"]["venue"]), what="incident"
    )

    def planned() -> dict[str, Any] | None:
        with recall_platform.client() as client:
            reply = client.get(f"/api/v1/incidents/{incident['id']}/tasks")
        reply.raise_for_status()
        return next((t for t in reply.json() if t["key"] == STEP), None)

    step = recall_platform.wait_for(planned, what=f"the {STEP} step")
    due = datetime.fromisoformat(step["due_at"])
    assert due == expected, f"due {due.astimezone(CHINA)}, the State Council calendar says {expected}"
    assert due != weekdays_only
