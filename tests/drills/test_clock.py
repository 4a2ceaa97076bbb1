"""The scenario clock turns real time into scenario time: scaled, paused, resumed, stopped. Pure arithmetic."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from drills.clock import PAUSED, RUNNING, STOPPED, ClockError, ScenarioClock
from tests.drills.factories import T0

REAL = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)


def _real(seconds: float) -> datetime:
    return REAL + timedelta(seconds=seconds)


def test_at_speed_60_a_real_minute_is_a_scenario_hour() -> None:
    clock = ScenarioClock(REAL, 60, T0)
    assert clock.now(_real(0)) == T0
    assert clock.now(_real(60)) == T0 + timedelta(hours=1)
    assert clock.elapsed(_real(90)) == timedelta(minutes=90)


def test_before_its_start_the_clock_shows_t0() -> None:
    assert ScenarioClock(REAL, 600, T0).now(_real(-30)) == T0


def test_a_pause_freezes_scenario_time_and_resume_continues_from_there() -> None:
    clock = ScenarioClock(REAL, 10, T0)
    clock.pause(_real(6))
    assert clock.state == PAUSED
    assert clock.now(_real(600)) == T0 + timedelta(minutes=1)
    clock.resume(_real(600))
    assert clock.state == RUNNING
    assert clock.now(_real(606)) == T0 + timedelta(minutes=2)


def test_pausing_twice_or_resuming_a_running_clock_changes_nothing() -> None:
    clock = ScenarioClock(REAL, 2, T0)
    clock.resume(_real(5))
    clock.pause(_real(10))
    clock.pause(_real(20))
    assert clock.now(_real(30)) == T0 + timedelta(seconds=20)


def test_a_speed_change_keeps_the_time_already_elapsed() -> None:
    clock = ScenarioClock(REAL, 1, T0)
    clock.set_speed(600, _real(60))
    assert clock.now(_real(61)) == T0 + timedelta(seconds=60 + 600)


def test_speed_must_be_between_1_and_600() -> None:
    for speed in (0.5, 601):
        with pytest.raises(ClockError, match="outside 1–600"):
            ScenarioClock(REAL, speed, T0)
    with pytest.raises(ClockError):
        ScenarioClock(REAL, 5, T0).set_speed(1000, _real(1))


def test_a_stopped_clock_stays_frozen_and_cannot_resume() -> None:
    clock = ScenarioClock(REAL, 60, T0)
    clock.stop(_real(30))
    assert clock.state == STOPPED
    assert clock.now(_real(3600)) == T0 + timedelta(minutes=30)
    with pytest.raises(ClockError, match="stopped"):
        clock.resume(_real(3600))


def test_real_time_at_tells_the_driver_how_long_to_sleep() -> None:
    clock = ScenarioClock(REAL, 60, T0)
    assert clock.real_time_at(T0 + timedelta(hours=2)) == _real(120)
    clock.pause(_real(10))
    assert clock.real_time_at(T0 + timedelta(hours=2)) is None
