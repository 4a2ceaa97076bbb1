"""The State Council calendar adapter (infra/calendar.py): holidays, make-up working days, and its last year."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from infra.calendar import STATE_COUNCIL, last_known_year
from playbooks.duration import CalendarRangeError, parse_duration


def test_the_2026_national_day_holiday_and_its_make_up_saturday() -> None:
    # The State Council's 2026 notice: 1–7 October off; Saturday 10 October is worked (调休)
    assert not any(STATE_COUNCIL.is_working_day(date(2026, 10, d)) for d in range(1, 8))
    assert STATE_COUNCIL.is_working_day(date(2026, 10, 10))
    assert not STATE_COUNCIL.is_working_day(date(2026, 10, 11))


def test_a_deadline_across_national_day_counts_the_make_up_saturday() -> None:
    start = datetime.fromisoformat("2026-09-30T10:00:00+08:00")
    due = parse_duration("5 working days").after(start, STATE_COUNCIL)
    # 8 Oct, 9 Oct, Saturday 10 Oct (make-up), 12 Oct, 13 Oct
    assert due == datetime.fromisoformat("2026-10-13T10:00:00+08:00")


def test_past_the_last_known_year_the_error_names_the_year_and_what_to_do() -> None:
    year = last_known_year() + 1
    with pytest.raises(CalendarRangeError) as caught:
        STATE_COUNCIL.is_working_day(date(year, 1, 4))
    assert str(year) in str(caught.value)
    assert "pip install -U chinese-calendar" in str(caught.value)
