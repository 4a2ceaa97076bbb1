"""Durations as plan officers write them: '30m', '2h', '10d', '10 working days'.

Working days keep the time of day and skip the days a `WorkingCalendar` says are not working days. The
domain knows only the protocol and a weekdays-only calendar; the deployment passes the State Council's
calendar (holidays and make-up working days, 调休) from infra/calendar.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Protocol

_PATTERN = re.compile(
    r"^\s*(?P<amount>\d+)\s*(?P<unit>"
    r"working\s+days?|wd|m|mins?|minutes?|h|hours?|d|days?"
    r")\s*$",
    re.IGNORECASE,
)
DURATION_PATTERN = r"^\s*\d+\s*(working\s+days?|wd|m|mins?|minutes?|h|hours?|d|days?)\s*$"
"""The same grammar as a JSON Schema pattern (kept in step with `_PATTERN` by a test)."""

_UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400}


class CalendarRangeError(ValueError):
    """A working-day calendar was asked about a day outside the years it knows; the text says what to do."""


class WorkingCalendar(Protocol):
    """Which days are working days (a holiday calendar); raises CalendarRangeError past its known years."""

    @property
    def timezone(self) -> tzinfo | None:
        """Where the calendar's days are (a moment counts on its local date there); None: the moment's own."""
        ...

    def is_working_day(self, day: date, /) -> bool:
        """True when `day` is a working day."""
        ...


class WeekdayCalendar:
    """Monday to Friday are working days; no holidays (the default when no calendar is passed)."""

    @property
    def timezone(self) -> tzinfo | None:
        """None: a moment counts on its own local date."""
        return None

    def is_working_day(self, day: date, /) -> bool:
        """True from Monday to Friday."""
        return day.weekday() < 5


WEEKDAYS = WeekdayCalendar()


@dataclass(frozen=True)
class Duration:
    """A span of time; `working` spans count Monday to Friday only."""

    amount: int
    unit: str  # "m", "h", "d" or "wd"

    @property
    def working(self) -> bool:
        """True for working days, whose length depends on the start."""
        return self.unit == "wd"

    def after(self, start: datetime, calendar: WorkingCalendar = WEEKDAYS) -> datetime:
        """The moment this duration after `start` ends; working days skip the days `calendar` says are off.

        A day counts by its date in the calendar's timezone; raises CalendarRangeError past the calendar's years.
        """
        if not self.working:
            return start + timedelta(seconds=self.amount * _UNIT_SECONDS[self.unit])
        moment, left = start, self.amount
        while left > 0:
            moment += timedelta(days=1)
            local = moment if calendar.timezone is None else moment.astimezone(calendar.timezone)
            if calendar.is_working_day(local.date()):
                left -= 1
        return moment

    def nominal(self) -> timedelta:
        """A calendar approximation (a working day counts as a day) for sorting and checks."""
        seconds = _UNIT_SECONDS["d" if self.working else self.unit]
        return timedelta(seconds=self.amount * seconds)

    def __str__(self) -> str:
        if self.working:
            return f"{self.amount} working day{'s' if self.amount != 1 else ''}"
        return f"{self.amount}{self.unit}"


def parse_duration(text: object) -> Duration:
    """Read '30m', '2h', '10d', '10 working days'; raise ValueError naming the bad text otherwise."""
    match = _PATTERN.match(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"{text!r} is not a duration (e.g. 30m, 2h, 10d, 10 working days)")
    unit = match["unit"].lower()
    key = "wd" if unit.startswith("w") else unit[0]
    return Duration(int(match["amount"]), key)
