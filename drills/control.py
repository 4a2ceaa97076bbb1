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
from drills.discussion import Answer, Rating
from drills.effects import Effect, PhaseChanged
from drills.runner import DrillCommandError, DrillRun
from infra.wire import DrillCommandType, DrillEventType, Envelope, WireError
from infra.wire.drill import (
    ACTIONS,
    ADVANCE_PHASE,
    ANSWER_QUESTION,
    CANCEL,
    COMMAND_TYPES,
    DISCUSSION_COMMANDS,
    DRILL_COMMAND_REJECTED,
    DRILL_REPORT_WRITTEN,
    DRILL_UPDATED,
    HOLD,
    INJECT_COMMANDS,
    INJECT_NOW,
    PAUSE,
    RECORD_OBSERVATION,
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
        if self.type in INJECT_COMMANDS:
            extra = self.inject_id
        elif self.type in DISCUSSION_COMMANDS:
            extra = next(
                (self.payload[k] for k in ("phase_id", "question_id", "capability") if self.payload.get(k)), None
            )
        else:
            extra = self.payload.get("speed")
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


def apply_command(  # noqa: PLR0913 - the run, its clock, the command and the moments it applies at
    run: DrillRun,
    clock: ScenarioClock,
    kind: str,
    payload: Mapping[str, Any],
    *,
    real_now: datetime,
    scenario_now: datetime,
    command_id: str = "",
) -> list[Effect]:
    """Apply one controller command at `real_now` (scenario moment `scenario_now`); return the runner's effects.

    The discussion's commands (ADR 0029) too: AdvancePhase moves the scenario clock to the next phase's start;
    AnswerQuestion and RecordObservation are kept under `command_id`, by `payload.requested_by.user`.

    Raises DrillCommandError (or ClockError) with the reason when the command does not apply: the drill has
    ended, it is already paused or not paused, the inject is unknown or in the wrong state, the speed is bad.
    """
    if kind == START:
        raise DrillCommandError(f"{START} starts a new drill; exercise {run.exercise_id} is already hosted")
    if kind not in COMMAND_TYPES:
        raise DrillCommandError(f"unknown drill command type {kind!r} (known: {', '.join(COMMAND_TYPES)})")
    if run.finished or clock.state == STOPPED:
        raise DrillCommandError(f"exercise {run.exercise_id} has ended; {kind} does not apply")
    if kind in (PAUSE, RESUME, SET_SPEED):
        _clock_command(run, clock, kind, payload, real_now)
        return []
    if kind == STOP:
        effects = run.stop(scenario_now)
        clock.stop(real_now)
        return effects
    if kind in DISCUSSION_COMMANDS:
        return _discussion_command(run, clock, kind, payload, real_now, scenario_now, command_id)
    return _inject_command(run, kind, _inject_id(kind, payload), scenario_now)


def _inject_id(kind: str, payload: Mapping[str, Any]) -> str:
    value = payload.get("inject_id")
    if not isinstance(value, str) or not value:
        raise DrillCommandError(f"{kind}: payload.inject_id must be a non-empty string, not {value!r}")
    return value


def _clock_command(
    run: DrillRun, clock: ScenarioClock, kind: str, payload: Mapping[str, Any], real_now: datetime
) -> None:
    if kind == PAUSE:
        if clock.state == PAUSED:
            raise DrillCommandError(f"exercise {run.exercise_id} is already paused")
        clock.pause(real_now)
    elif kind == RESUME:
        if clock.state == RUNNING:
            raise DrillCommandError(f"exercise {run.exercise_id} is not paused")
        clock.resume(real_now)
    else:
        clock.set_speed(speed_of(payload), real_now)


def _discussion_command(  # noqa: PLR0913 - the command and the moments it applies at
    run: DrillRun,
    clock: ScenarioClock,
    kind: str,
    payload: Mapping[str, Any],
    real_now: datetime,
    scenario_now: datetime,
    command_id: str,
) -> list[Effect]:
    if kind == ADVANCE_PHASE:
        effects = run.advance_phase(_text(kind, payload, "phase_id"), scenario_now)
        begins = next((e.begins for e in effects if isinstance(e, PhaseChanged)), None)
        if begins is not None:
            clock.jump(begins, real_now)
        return effects
    by = _requester(kind, payload)
    at = min(scenario_now, run.horizon)
    if kind == ANSWER_QUESTION:
        run.answer(
            Answer(
                command_id,
                _text(kind, payload, "question_id"),
                _text(kind, payload, "unit"),
                by,
                _text(kind, payload, "text"),
                at,
            )
        )
        return []
    if kind == RECORD_OBSERVATION:
        question, capability = payload.get("question_id"), payload.get("capability")
        note = payload.get("note") or ""
        run.rate(
            Rating(
                command_id,
                by,
                _text(kind, payload, "rating"),
                note if isinstance(note, str) else str(note),
                at,
                question_id=question if isinstance(question, str) and question else None,
                capability=capability if isinstance(capability, str) and capability else None,
            )
        )
        return []
    raise DrillCommandError(f"unknown discussion command {kind!r}")  # pragma: no cover - DISCUSSION_COMMANDS


def _text(kind: str, payload: Mapping[str, Any], key: str) -> str:
    value = payload.get(key)
    if not isinstance(value, str) or not value:
        raise DrillCommandError(f"{kind}: payload.{key} must be a non-empty string, not {value!r}")
    return value


def _requester(kind: str, payload: Mapping[str, Any]) -> str:
    requested = payload.get("requested_by")
    user = requested.get("user") if isinstance(requested, Mapping) else None
    if not isinstance(user, str) or not user:
        raise DrillCommandError(f"{kind}: payload.requested_by.user must name who answers or rates")
    return user


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
    "ADVANCE_PHASE",
    "ANSWER_QUESTION",
    "CANCEL",
    "COMMAND_TYPES",
    "DISCUSSION_COMMANDS",
    "DRILL_COMMAND_REJECTED",
    "DRILL_REPORT_WRITTEN",
    "DRILL_UPDATED",
    "HOLD",
    "INJECT_COMMANDS",
    "INJECT_NOW",
    "PAUSE",
    "RECORD_OBSERVATION",
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
