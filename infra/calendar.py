"""The State Council's working-day calendar (holidays and make-up working days, 调休) for working-day deadlines.

An adapter of the `chinese-calendar` package (import `chinese_calendar`) to the domain's `WorkingCalendar`
protocol (playbooks/duration.py). The package knows the years the State Council has published; a day past them
raises CalendarRangeError naming the year and what to do.
"""

from __future__ import annotations

from datetime import date, tzinfo
from zoneinfo import ZoneInfo

import chinese_calendar

from playbooks.duration import CalendarRangeError

CHINA = ZoneInfo("Asia/Shanghai")


class StateCouncilCalendar:
    """Working days as the State Council's holiday notice sets them, on the local date in China."""

    @property
    def timezone(self) -> tzinfo:
        """Asia/Shanghai: a deadline counts on the local date in China."""
        return CHINA

    def is_working_day(self, day: date, /) -> bool:
        """True on a working day (a weekday that is no holiday, or a make-up working day)."""
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            raise CalendarRangeError(
                f"the State Council holiday calendar for {day.year} is not known to this installation "
                f"(chinese-calendar {_version()} knows {_first_year()}–{last_known_year()}); "
                f"upgrade it (pip install -U chinese-calendar) once the {day.year} calendar is published"
            ) from None


def last_known_year() -> int:
    """The last year whose holidays the installed package knows."""
    return int(max(day.year for day in chinese_calendar.holidays))


def _first_year() -> int:
    return int(min(day.year for day in chinese_calendar.holidays))


def _version() -> str:
    return str(getattr(chinese_calendar, "__version__", "?"))


STATE_COUNCIL = StateCouncilCalendar()
