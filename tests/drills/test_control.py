"""Controller commands act on the scenario clock and the runner, and refuse what does not apply, saying why."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from drills.clock import PAUSED, RUNNING, STOPPED, ClockError, ScenarioClock
from drills.control import (
    ACTIONS,
    CANCEL,
    COMMAND_TYPES,
    DISCUSSION_COMMANDS,
    DRILL_UPDATED,
    HOLD,
    INJECT_NOW,
    PAUSE,
    RELEASE,
    RESUME,
    SET_SPEED,
    SKIP,
    START,
    STOP,
    DrillCommand,
    apply_command,
    command_from_envelope,
    envelope,
    new_exercise_id,
)
from drills.effects import DeliverMessage, Effect, ExerciseEnded, InjectStateChanged, PublishReport
from drills.result import CANCELLED, EXECUTED, ON_HOLD, SCHEDULED
from drills.runner import DrillCommandError, DrillRun
from tests.drills.factories import T0, at, small

REAL = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)


def _real(seconds: float) -> datetime:
    return REAL + timedelta(seconds=seconds)


class Drill:
    """A run and its clock at 60× (a real second is a scenario minute), driven like the host drives them."""

    def __init__(self) -> None:
        self.run = DrillRun(small(), "ex-1", T0)
        self.clock = ScenarioClock(REAL, 60, T0)

    def apply(self, kind: str, seconds: float, **payload: Any) -> list[Effect]:
        real = _real(seconds)
        return apply_command(
            self.run, self.clock, kind, payload, real_now=real, scenario_now=min(self.clock.now(real), self.run.end_at)
        )

    def state(self, inject_id: str) -> str:
        return next(s.state for s in self.run.states() if s.id == inject_id)


def test_pause_freezes_the_scenario_clock_and_resume_continues_from_there() -> None:
    drill = Drill()
    assert drill.apply(PAUSE, 10) == []
    assert drill.clock.state == PAUSED
    assert drill.clock.now(_real(100)) == at(10)
    assert drill.apply(RESUME, 100) == []
    assert drill.clock.state == RUNNING
    assert drill.clock.now(_real(105)) == at(15)


def test_pausing_twice_or_resuming_a_running_drill_is_refused() -> None:
    drill = Drill()
    with pytest.raises(DrillCommandError, match="ex-1 is not paused"):
        drill.apply(RESUME, 1)
    drill.apply(PAUSE, 2)
    with pytest.raises(DrillCommandError, match="ex-1 is already paused"):
        drill.apply(PAUSE, 3)


def test_set_speed_keeps_the_time_elapsed_and_changes_the_rate() -> None:
    drill = Drill()
    drill.apply(SET_SPEED, 10, speed=600)
    assert drill.clock.speed == 600
    assert drill.clock.now(_real(11)) == at(20)


@pytest.mark.parametrize(
    ("speed", "error", "reason"),
    [
        (1000, ClockError, "speed 1000 is outside 1–600"),
        (0.5, ClockError, "speed 0.5 is outside 1–600"),
        ("fast", DrillCommandError, "payload.speed must be a number from 1 to 600, not 'fast'"),
        (None, DrillCommandError, "payload.speed must be a number from 1 to 600, not None"),
        (True, DrillCommandError, "payload.speed must be a number from 1 to 600, not True"),
    ],
)
def test_a_bad_speed_is_refused_naming_the_value(speed: object, error: type[Exception], reason: str) -> None:
    drill = Drill()
    with pytest.raises(error, match=re.escape(reason)):
        drill.apply(SET_SPEED, 1, speed=speed)
    assert drill.clock.speed == 60


def test_stop_ends_the_run_now_and_stops_the_clock() -> None:
    drill = Drill()
    effects = drill.apply(STOP, 25)
    assert drill.run.finished and drill.run.ended_at == at(25)
    assert drill.clock.state == STOPPED
    ended = [e for e in effects if isinstance(e, ExerciseEnded)]
    assert [e.reason for e in ended] == ["stopped by the controller"]
    assert [e.inject_id for e in effects if isinstance(e, DeliverMessage)] == ["call"]  # due at T+0:20


def test_stop_of_a_paused_drill_ends_it_at_the_paused_moment() -> None:
    drill = Drill()
    drill.apply(PAUSE, 5)
    drill.apply(STOP, 500)
    assert drill.run.ended_at == at(5)


def test_after_the_end_every_command_is_refused() -> None:
    drill = Drill()
    drill.apply(STOP, 1)
    commands: list[tuple[str, dict[str, Any]]] = [
        (PAUSE, {}),
        (RESUME, {}),
        (SET_SPEED, {"speed": 10}),
        (STOP, {}),
        (INJECT_NOW, {"inject_id": "parents"}),
    ]
    for kind, payload in commands:
        with pytest.raises(DrillCommandError, match=f"exercise ex-1 has ended; {kind} does not apply"):
            drill.apply(kind, 2, **payload)


def test_inject_now_fires_a_manual_inject_at_the_current_moment() -> None:
    drill = Drill()
    effects = drill.apply(INJECT_NOW, 5, inject_id="parents")
    fired = [e for e in effects if isinstance(e, DeliverMessage)]
    assert [(e.inject_id, e.at) for e in fired] == [("parents", at(5))]
    assert drill.state("parents") == EXECUTED
    assert drill.state("first_report") == EXECUTED  # due at T+0 and fired first, at its own time
    assert any(isinstance(e, PublishReport) and e.at == T0 for e in effects)


def test_hold_release_skip_and_cancel_move_the_inject() -> None:
    drill = Drill()
    changed = drill.apply(HOLD, 1, inject_id="call")
    assert drill.state("call") == ON_HOLD
    assert [(e.old, e.new) for e in changed if isinstance(e, InjectStateChanged) and e.inject_id == "call"] == [
        (SCHEDULED, ON_HOLD)
    ]
    drill.apply(RELEASE, 2, inject_id="call")
    assert drill.state("call") == SCHEDULED
    drill.apply(SKIP, 3, inject_id="call")
    assert drill.state("call") == CANCELLED
    assert "skipped" in next(s.note for s in drill.run.states() if s.id == "call")
    drill.apply(CANCEL, 4, inject_id="update")
    assert drill.state("update") == CANCELLED


def test_inject_commands_name_the_unknown_inject_or_the_wrong_state() -> None:
    drill = Drill()
    with pytest.raises(DrillCommandError, match="scenario small has no inject 'nope'"):
        drill.apply(INJECT_NOW, 1, inject_id="nope")
    drill.apply(SKIP, 1, inject_id="call")
    with pytest.raises(DrillCommandError, match="inject 'call' is cancelled; it cannot become on_hold"):
        drill.apply(HOLD, 2, inject_id="call")
    with pytest.raises(
        DrillCommandError, match=re.escape("HoldInject: payload.inject_id must be a non-empty string, not None")
    ):
        drill.apply(HOLD, 2)


def test_inject_commands_apply_while_paused_at_the_frozen_moment() -> None:
    drill = Drill()
    drill.apply(PAUSE, 5)
    effects = drill.apply(INJECT_NOW, 50, inject_id="parents")
    assert [e.at for e in effects if isinstance(e, DeliverMessage) and e.inject_id == "parents"] == [at(5)]
    assert drill.clock.state == PAUSED


def test_start_and_unknown_types_are_refused() -> None:
    drill = Drill()
    with pytest.raises(DrillCommandError, match="StartDrill starts a new drill"):
        drill.apply(START, 1)
    with pytest.raises(DrillCommandError, match="unknown drill command type 'Explode'"):
        drill.apply("Explode", 1)


def test_every_controller_verb_names_a_command_type() -> None:
    assert set(ACTIONS.values()) == set(COMMAND_TYPES) - {START} - set(DISCUSSION_COMMANDS)


def test_a_command_is_read_from_its_envelope_and_a_bad_one_names_the_field() -> None:
    message = envelope(HOLD, exercise_id="ex-1", payload={"inject_id": "call"}, at=REAL, id_="c-1").to_dict()
    assert message == {
        "id": "c-1",
        "type": HOLD,
        "time": REAL.isoformat(),
        "mode": "exercise",
        "exercise_id": "ex-1",
        "causation": None,
        "incident_id": None,
        "payload": {"inject_id": "call"},
        "v": 1,
    }
    command = command_from_envelope(message)
    assert command == DrillCommand("c-1", HOLD, "ex-1", {"inject_id": "call"})
    assert command.describe() == "HoldInject call"
    with pytest.raises(DrillCommandError, match="field 'exercise_id' must be a non-empty string, not None"):
        command_from_envelope({**message, "exercise_id": None})
    with pytest.raises(DrillCommandError, match="field 'payload' must be an object, not 3"):
        command_from_envelope({**message, "payload": 3})


def test_a_drill_message_carries_its_time_in_utc() -> None:
    beijing = REAL.astimezone(timezone(timedelta(hours=8)))
    message = envelope(DRILL_UPDATED, exercise_id="ex-1", payload={}, at=beijing, causation="c-1")
    assert (message.time, message.causation, message.mode) == ("2026-01-01T09:00:00+00:00", "c-1", "exercise")


def test_a_command_without_a_time_is_refused_naming_the_field() -> None:
    message = envelope(PAUSE, exercise_id="ex-1", payload={}, at=REAL, id_="c-2").to_dict()
    with pytest.raises(DrillCommandError, match="field 'time' must be a non-empty string, not None"):
        command_from_envelope({**message, "time": None})


def test_a_new_exercise_id_follows_the_adr_pattern() -> None:
    made = new_exercise_id("school_canteen", datetime(2026, 12, 1, 8, 30, 5, tzinfo=UTC))
    assert re.fullmatch(r"EX-school_canteen-20261201083005-[0-9a-f]{4}", made)
