"""Clocks: where time comes from. Domain code never reads the wall clock; it is handed `now`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """Anything that tells the current time as an aware datetime."""

    def now(self) -> datetime:
        """The current time, timezone-aware."""
        ...


class SystemClock:
    """The wall clock, in UTC."""

    def now(self) -> datetime:
        """The current time in UTC."""
        return datetime.now(UTC)


class ScaledClock:
    """A clock that runs `speed` times faster than the wall clock from the moment it is made.

    For demos and tests of deadlines (TOCSIN_CLOCK_SPEED); drills use their own scenario clock.
    """

    def __init__(self, speed: float, *, base: Clock | None = None) -> None:
        self.speed = speed
        self._base = base or SystemClock()
        self._origin = self._base.now()

    def now(self) -> datetime:
        """Origin plus the elapsed wall time times `speed`."""
        return self._origin + (self._base.now() - self._origin) * self.speed


def clock_for(speed: float) -> Clock:
    """The wall clock at speed 1, a scaled clock otherwise."""
    return SystemClock() if speed == 1 else ScaledClock(speed)
