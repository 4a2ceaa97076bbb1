"""The scenario clock: scenario time from real time, scaled by a speed factor, with pause, resume and stop.

Pure arithmetic: the caller passes the real time (from an injected clock) to every call; nothing here
reads the wall clock. The runner is keyed on scenario time only, so the speed never changes a score.
"""

from __future__ import annotations

from datetime import datetime, timedelta

MIN_SPEED = 1.0
MAX_SPEED = 600.0
RUNNING = "running"
PAUSED = "paused"
STOPPED = "stopped"


class ClockError(ValueError):
    """A clock operation that does not apply (speed out of range, resuming a stopped clock...)."""


def check_speed(speed: float) -> float:
    """The speed if it is within 1× to 600×; raise ClockError otherwise."""
    if not MIN_SPEED <= speed <= MAX_SPEED:
        raise ClockError(f"speed {speed:g} is outside {MIN_SPEED:g}–{MAX_SPEED:g}")
    return float(speed)


class ScenarioClock:
    """Scenario time that starts at `scenario_start` at real moment `start_real` and runs `speed` times faster."""

    def __init__(self, start_real: datetime, speed: float, scenario_start: datetime) -> None:
        self._speed = check_speed(speed)
        self._real_anchor = start_real
        self._scenario_anchor = scenario_start
        self.scenario_start = scenario_start
        self.state = RUNNING

    @property
    def speed(self) -> float:
        """The current speed factor."""
        return self._speed

    def now(self, real_now: datetime) -> datetime:
        """The scenario moment at real moment `real_now` (frozen while paused or stopped)."""
        if self.state != RUNNING or real_now <= self._real_anchor:
            return self._scenario_anchor
        return self._scenario_anchor + (real_now - self._real_anchor) * self._speed

    def elapsed(self, real_now: datetime) -> timedelta:
        """Scenario time since T+0."""
        return self.now(real_now) - self.scenario_start

    def real_time_at(self, scenario_time: datetime) -> datetime | None:
        """The real moment the scenario reaches `scenario_time` at the current speed; None while not running."""
        if self.state != RUNNING:
            return None
        if scenario_time <= self._scenario_anchor:
            return self._real_anchor
        return self._real_anchor + (scenario_time - self._scenario_anchor) / self._speed

    def pause(self, real_now: datetime) -> None:
        """Freeze scenario time; a pause of a paused clock changes nothing."""
        self._require_not_stopped("pause")
        if self.state == RUNNING:
            self._rebase(real_now)
            self.state = PAUSED

    def resume(self, real_now: datetime) -> None:
        """Let scenario time run again from where it was frozen."""
        self._require_not_stopped("resume")
        if self.state == PAUSED:
            self._real_anchor = real_now
            self.state = RUNNING

    def set_speed(self, speed: float, real_now: datetime) -> None:
        """Change the speed from now on; time already elapsed is kept."""
        checked = check_speed(speed)
        if self.state == RUNNING:
            self._rebase(real_now)
        self._speed = checked

    def jump(self, scenario_time: datetime, real_now: datetime) -> None:
        """Set scenario time to `scenario_time` at `real_now` (a phase's time jump); paused stays paused."""
        self._require_not_stopped("jump")
        self._scenario_anchor = scenario_time
        self._real_anchor = max(real_now, self._real_anchor)

    def stop(self, real_now: datetime) -> None:
        """Freeze scenario time for good."""
        if self.state == RUNNING:
            self._rebase(real_now)
        self.state = STOPPED

    def _rebase(self, real_now: datetime) -> None:
        self._scenario_anchor = self.now(real_now)
        self._real_anchor = max(real_now, self._real_anchor)

    def _require_not_stopped(self, what: str) -> None:
        if self.state == STOPPED:
            raise ClockError(f"cannot {what} a stopped scenario clock")
