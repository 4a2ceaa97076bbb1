"""Controller commands of a running drill (ADR 0018), applied to the runner and the scenario clock; pure.

`apply_command(run, clock, type, payload, real_now=..., scenario_now=...)` is the one place that says what
each command does. Pause, resume and speed act on the scenario clock; stop ends the run and stops the
clock; the inject commands go to the runner. A command that does not apply raises `DrillCommandError`
(or `ClockError` for a speed out of range) with the reason, which the host publishes as
`DrillCommandRejected`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from drills.clock import PAUSED, RUNNING, STOPPED, ClockError, ScenarioClock, check_speed
from drills.effects import Effect
from drills.runner import DrillCommandError, DrillRun
from infra.wire import DrillCommandType, DrillEventType, Envelope, WireError
from infra.wire.drill import (
    ACTIONS,
    CANCEL,
    COMMAND_TYPES,
    DRILL_COMMAND_REJECTED,
    DRILL_REPORT_WRITTEN,
    DRILL_UPDATED,
    HOLD,
    INJECT_COMMANDS,
    INJECT_NOW,
    PAUSE,
    RELEASE,
    RESUME,
    RUN_COMMANDS,
    SET_SPEED,
    SKIP,
    START,
    STOP,
    new_exercise_id,
)

# Run states in DrillUpdated.
STATE_RUNNING = "running"
STATE_PAUSED = "paused"
STATE_FINISHED = "finished"
STATE_FAILED = "failed"


@dataclass(frozen=True)
class DrillCommand:
    """One controller command read from the drill-commands topic (the envelope's id, type and payload)."""

    id: str
    type: str
    exercise_id: str
    payload: Mapping[str, Any] = field(default_factory=dict)

    @property
    def inject_id(self) -> str | None:
        """The inject the command is about, if any."""
        value = self.payload.get("inject_id")
        return value if isinstance(value, str) else None

    def describe(self) -> str:
        """The command in a few words, for logs and rejection lists (e.g. `HoldInject media_call`)."""
        extra = self.inject_id if self.type in INJECT_COMMANDS else self.payload.get("speed")
        return f"{self.type} {extra}" if extra is not None else self.type


def command_from_envelope(message: Mapping[str, Any]) -> DrillCommand:
    """The command of a drill-commands envelope; raise DrillCommandError naming a missing or bad field."""
    try:
        parsed = Envelope.from_dict(message)
    except WireError as error:
        raise DrillCommandError(f"drill command: {error}") from None
    if not parsed.exercise_id:
        raise DrillCommandError(
            f"drill command {parsed.id}: field 'exercise_id' must be a non-empty string, not {parsed.exercise_id!r}"
        )
    return DrillCommand(parsed.id, parsed.type, parsed.exercise_id, parsed.payload)


def envelope(
    kind: DrillCommandType | DrillEventType,
    *,
    exercise_id: str,
    payload: Mapping[str, Any],
    at: datetime,
    causation: str | None = None,
    id_: str | None = None,
) -> Envelope:
    """A drill message (ADR 0018): mode exercise, no incident, its time in UTC; a random id unless `id_` is given."""
    return Envelope.new(
        kind,
        at=at.astimezone(UTC),
        mode="exercise",
        payload=payload,
        causation=causation,
        exercise_id=exercise_id,
        id_=id_,
    )


def speed_of(payload: Mapping[str, Any]) -> float:
    """The `speed` of a payload, checked to be a number from 1 to 600; raise ClockError/DrillCommandError."""
    value = payload.get("speed")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DrillCommandError(f"payload.speed must be a number from 1 to 600, not {value!r}")
    return check_speed(float(value))


def apply_command(
    run: DrillRun,
    clock: ScenarioClock,
    kind: str,
    payload: Mapping[str, Any],
    *,
    real_now: datetime,
    scenario_now: datetime,
) -> list[Effect]:
    """Apply one controller command at `real_now` (scenario moment `scenario_now`); return the runner's effects.

    Raises DrillCommandError (or ClockError) with the reason when the command does not apply: the drill has
    ended, it is already paused or not paused, the inject is unknown or in the wrong state, the speed is bad.
    """
    if kind == START:
        raise DrillCommandError(f"{START} starts a new drill; exercise {run.exercise_id} is already hosted")
    if kind not in COMMAND_TYPES:
        raise DrillCommandError(f"unknown drill command type {kind!r} (known: {', '.join(COMMAND_TYPES)})")
    if run.finished or clock.state == STOPPED:
        raise DrillCommandError(f"exercise {run.exercise_id} has ended; {kind} does not apply")
    if kind == PAUSE:
        if clock.state == PAUSED:
            raise DrillCommandError(f"exercise {run.exercise_id} is already paused")
        clock.pause(real_now)
        return []
    if kind == RESUME:
        if clock.state == RUNNING:
            raise DrillCommandError(f"exercise {run.exercise_id} is not paused")
        clock.resume(real_now)
        return []
    if kind == SET_SPEED:
        clock.set_speed(speed_of(payload), real_now)
        return []
    if kind == STOP:
        effects = run.stop(scenario_now)
        clock.stop(real_now)
        return effects
    return _inject_command(run, kind, _inject_id(kind, payload), scenario_now)


def _inject_id(kind: str, payload: Mapping[str, Any]) -> str:
    value = payload.get("inject_id")
    if not isinstance(value, str) or not value:
        raise DrillCommandError(f"{kind}: payload.inject_id must be a non-empty string, not {value!r}")
    return value


_INJECT_METHODS: dict[str, Callable[[DrillRun, str, datetime], list[Effect]]] = {
    INJECT_NOW: DrillRun.inject_now,
    HOLD: DrillRun.hold,
    RELEASE: DrillRun.release,
    SKIP: DrillRun.skip,
    CANCEL: DrillRun.cancel,
}
"""What each inject command calls on the runner."""


def _inject_command(run: DrillRun, kind: str, inject_id: str, now: datetime) -> list[Effect]:
    return _INJECT_METHODS[kind](run, inject_id, now)


__all__ = [
    "ACTIONS",
    "CANCEL",
    "COMMAND_TYPES",
    "DRILL_COMMAND_REJECTED",
    "DRILL_REPORT_WRITTEN",
    "DRILL_UPDATED",
    "HOLD",
    "INJECT_COMMANDS",
    "INJECT_NOW",
    "PAUSE",
    "RELEASE",
    "RESUME",
    "RUN_COMMANDS",
    "SET_SPEED",
    "SKIP",
    "START",
    "STATE_FAILED",
    "STATE_FINISHED",
    "STATE_PAUSED",
    "STATE_RUNNING",
    "STOP",
    "ClockError",
    "DrillCommand",
    "DrillCommandError",
    "apply_command",
    "command_from_envelope",
    "envelope",
    "new_exercise_id",
    "speed_of",
]
