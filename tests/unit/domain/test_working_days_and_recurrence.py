"""Working-day deadlines on a holiday calendar, and recurring steps (the daily progress report, 续报).

Pure domain: the calendars here are plain objects of the domain protocol (the State Council's own is tested in
tests/unit/test_state_council_calendar.py), the clock is the time passed in.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta, tzinfo

import pytest

from playbooks import load_library
from playbooks.assessment import Recommendation
from playbooks.commands import (
    ApproveTermination,
    CheckDeadlines,
    CompleteTask,
    RecordAssessment,
    SignalValue,
    UpdateTerminationSignals,
)
from playbooks.duration import CalendarRangeError, parse_duration
from playbooks.errors import PlaybookError
from playbooks.events import ActionsPlanned, ActionUpdated, ItemChange
from playbooks.handlers import handle
from playbooks.incident import IncidentStatus
from playbooks.response import next_deadline
from tests.unit.domain.factories import COMMANDER, DUTY_OFFICER, T0, ctx, incident_with, report, responder

CHINA = datetime.fromisoformat("2026-01-01T00:00:00+08:00").tzinfo


class NationalDay2026:
    """The 2026 National Day holiday as the State Council published it: 1–7 October off, Saturday 10 October worked."""

    @property
    def timezone(self) -> tzinfo | None:
        return CHINA

    def is_working_day(self, day: date, /) -> bool:
        if day.year != 2026:
            raise CalendarRangeError(f"the calendar for {day.year} is not known; upgrade the calendar package")
        if date(2026, 10, 1) <= day <= date(2026, 10, 7):
            return False
        return day == date(2026, 10, 10) or day.weekday() < 5


def test_working_days_skip_the_national_day_holiday_and_count_its_make_up_saturday() -> None:
    start = datetime.fromisoformat("2026-09-30T10:00:00+08:00")
    due = parse_duration("5 working days").after(start, NationalDay2026())
    # 8 Oct (1), 9 Oct (2), Saturday 10 Oct make-up day (3), 12 Oct (4), 13 Oct (5)
    assert due == datetime.fromisoformat("2026-10-13T10:00:00+08:00")
    # Monday to Friday only would count through the holiday
    assert parse_duration("5 working days").after(start) == datetime.fromisoformat("2026-10-07T10:00:00+08:00")


def test_a_working_day_counts_on_the_calendars_local_date() -> None:
    # 20:00 UTC on 10 October is 04:00 on Sunday 11 October in China: not a working day there, although
    # the UTC date (the make-up Saturday) is one; the next working day is Monday 12 October, China time
    start = datetime(2026, 10, 9, 20, 0, tzinfo=UTC)
    assert parse_duration("1 working day").after(start, NationalDay2026()) == start + timedelta(days=2)


def test_a_day_past_the_calendar_raises_naming_the_year() -> None:
    with pytest.raises(CalendarRangeError, match="2027"):
        parse_duration("20 working days").after(datetime(2026, 12, 20, 10, tzinfo=UTC), NationalDay2026())


def test_a_step_past_the_calendar_is_still_planned_with_a_warning_naming_the_year() -> None:
    playbook = load_library().get("food_safety").with_calendar(NationalDay2026())
    state = incident_with(report(40, venue_type="rural_collective_dinner"))
    signals: dict[str, SignalValue] = {
        "patients_stable_since": T0.isoformat(),
        "site_controlled": True,
        "hazards_removed": True,
    }
    week = 7 * 24 * 60
    handle(state, UpdateTerminationSignals(signals=signals, actor=DUTY_OFFICER), ctx(60, playbook=playbook))
    handle(state, CheckDeadlines(), ctx(week, playbook=playbook))
    handle(state, _terminate_assessment(), ctx(week, playbook=playbook))
    handle(state, ApproveTermination(reason="达到终止条件", actor=COMMANDER), ctx(week, playbook=playbook))
    claim = state.items["insurance_claim"]  # 20 working days from 6 December 2026 reach into 2027
    assert "2027" in claim.warning
    assert claim.due_at == datetime(2027, 1, 1, 8, 0, tzinfo=UTC)  # 20 weekdays after Sunday 6 December


def _progress(state_items: Mapping[str, object]) -> list[str]:
    return sorted(key for key in state_items if key.startswith("progress_report"))


def test_the_progress_report_recurs_daily_each_occurrence_with_its_own_deadline() -> None:
    state = incident_with(report(40))  # level IV at T0
    first = state.items["progress_report"]
    assert first.due_at == T0 + timedelta(hours=24)
    assert first.repeat == "24h"
    assert next_deadline(state.items, timedelta(minutes=30)) is not None

    events = handle(state, CheckDeadlines(), ctx(24 * 60)).events
    planned = [e for e in events if isinstance(e, ActionsPlanned) and e.cause == "recurrence"]
    assert [i.key for p in planned for i in p.items] == ["progress_report#2"]
    second = state.items["progress_report#2"]
    assert (second.planned_at, second.due_at, second.occurrence) == (
        T0 + timedelta(hours=24),
        T0 + timedelta(hours=48),
        2,
    )

    handle(state, CheckDeadlines(), ctx(48 * 60))
    third = state.items["progress_report#3"]
    assert (third.planned_at, third.due_at) == (T0 + timedelta(hours=48), T0 + timedelta(hours=72))
    assert _progress(state.items) == ["progress_report", "progress_report#2", "progress_report#3"]


def test_each_occurrence_is_completed_and_escalated_on_its_own() -> None:
    state = incident_with(report(40))
    office = responder("district_office")
    handle(state, CompleteTask(action_key="progress_report", result="首日续报", actor=office), ctx(60))
    handle(state, CheckDeadlines(), ctx(24 * 60))
    events = handle(state, CheckDeadlines(), ctx(48 * 60 + 1)).events
    escalated = [e.key for e in events if isinstance(e, ActionUpdated) and e.change is ItemChange.ESCALATED]
    assert "progress_report#2" in escalated  # overdue: not reported on day two
    assert "progress_report" not in escalated  # done on day one
    assert state.items["progress_report"].done and not state.items["progress_report#2"].done


def test_a_clock_that_jumped_plans_every_missed_occurrence_once() -> None:
    state = incident_with(report(40))
    handle(state, CheckDeadlines(), ctx(72 * 60))
    assert _progress(state.items) == ["progress_report", "progress_report#2", "progress_report#3", "progress_report#4"]
    again = handle(state, CheckDeadlines(), ctx(72 * 60)).events
    assert not [e for e in again if isinstance(e, ActionsPlanned)]


def test_no_occurrence_after_the_response_ends() -> None:
    state = incident_with(report(40))
    signals: dict[str, SignalValue] = {
        "patients_stable_since": T0.isoformat(),
        "site_controlled": True,
        "hazards_removed": True,
    }
    handle(state, UpdateTerminationSignals(signals=signals, actor=DUTY_OFFICER), ctx(60))
    week = 7 * 24 * 60
    handle(state, CheckDeadlines(), ctx(week))
    handle(state, _terminate_assessment(), ctx(week))
    handle(state, ApproveTermination(reason="达到终止条件", actor=COMMANDER), ctx(week))
    assert state.status is IncidentStatus.CLOSED
    before = _progress(state.items)
    events = handle(state, CheckDeadlines(), ctx(week + 3 * 24 * 60)).events
    assert _progress(state.items) == before
    assert not [e for e in events if isinstance(e, ActionsPlanned) and e.cause == "recurrence"]


def _with_repeat(text: str, where: str = "levels") -> str:
    source = (load_library().get("food_safety").source).replace("\r\n", "\n")
    if where == "levels":
        return source.replace("        repeat: 24h", f"        repeat: {text}", 1)
    return source.replace(
        "    deadline: 10d\n  - id: destroy_food", f"    deadline: 10d\n    repeat: {text}\n  - id: destroy_food", 1
    )


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ("daily", "levels", "is not a duration"),
        ("10m", "levels", "at most hourly"),
        ("24h", "after_response", "not allowed in after_response"),
    ],
)
def test_a_bad_repeat_is_a_located_error(text: str, where: str, message: str) -> None:
    from playbooks.library import build_library

    with pytest.raises(PlaybookError) as caught:
        build_library({"food_safety.yaml": _with_repeat(text, where)})
    problems = [p for p in caught.value.problems if p.path.endswith(".repeat")]
    assert problems and message in problems[0].message
    assert problems[0].line > 0


def _terminate_assessment() -> RecordAssessment:
    """The expert group's assessment that the response may end (the food-safety plan requires it)."""
    return RecordAssessment(
        experts=("专家组",), conclusion="已达终止条件", recommendation=Recommendation.TERMINATE, actor=DUTY_OFFICER
    )
