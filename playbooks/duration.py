"""Durations as plan officers write them: '30m', '2h', '10d', '10 working days'.

Working days skip Saturdays and Sundays and keep the time of day; public holidays are not
modelled (a deployment calendar can be added later without changing the syntax).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

_PATTERN = re.compile(
    r"^\s*(?P<amount>\d+)\s*(?P<unit>"
    r"working\s+days?|wd|m|mins?|minutes?|h|hours?|d|days?"
    r")\s*$",
    re.IGNORECASE,
)
DURATION_PATTERN = r"^\s*\d+\s*(working\s+days?|wd|m|mins?|minutes?|h|hours?|d|days?)\s*$"
"""The same grammar as a JSON Schema pattern (kept in step with `_PATTERN` by a test)."""

_UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Duration:
    """A span of time; `working` spans count Monday to Friday only."""

    amount: int
    unit: str  # "m", "h", "d" or "wd"

    @property
    def working(self) -> bool:
        """True for working days, whose length depends on the start."""
        return self.unit == "wd"

    def after(self, start: datetime) -> datetime:
        """The moment this duration after `start` ends (working days skip weekends)."""
        if not self.working:
            return start + timedelta(seconds=self.amount * _UNIT_SECONDS[self.unit])
        moment, left = start, self.amount
        while left > 0:
            moment += timedelta(days=1)
            if moment.weekday() < 5:
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
