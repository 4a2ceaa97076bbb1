"""A live drill takes controller commands between steps; a controller pause survives the steps' own pauses.

Kafka is replaced by two small in-memory stand-ins and real time by a clock that each read moves on, so these
tests run in milliseconds; the real broker is exercised in tests/e2e/test_drill_control.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from drills.clock import PAUSED, RUNNING, STOPPED
from drills.control import HOLD, INJECT_NOW, PAUSE, RESUME, SET_SPEED, STOP, DrillCommand
from drills.effects import DeliverMessage, Effect
from drills.live import DrillHooks, LiveDrill
from drills.result import EXECUTED
from infra.wire import DrillCommandType
from tests.drills.factories import T0, at, small

REAL = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)


class RealClock:
    """Real time that moves only when the drill reads (by the time it would have waited)."""

    def __init__(self) -> None:
        self.now = REAL

    def __call__(self) -> datetime:
        return self.now


@dataclass(frozen=True)
class Sent:
    topic: str
    partition: int
    offset: int


class Producer:
    """Accepts every message; nothing answers (the drill lists the reports as unanswered)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes]] = []

    async def send_and_wait(self, topic: str, value: bytes, key: bytes | None = None) -> Sent:
        self.sent.append((topic, value))
        return Sent(topic, 0, len(self.sent) - 1)


class Consumer:
    """No events ever; waiting `timeout_ms` moves the real clock on by as much."""

    def __init__(self, clock: RealClock) -> None:
        self.clock = clock

    async def getmany(self, timeout_ms: int = 0) -> dict[Any, list[Any]]:
        self.clock.now += timedelta(milliseconds=max(timeout_ms, 1))
        return {}


class Hooks(DrillHooks):
    """Records what the drill tells its host."""

    def __init__(self) -> None:
        self.done: list[str] = []
        self.refused: list[tuple[str, str]] = []
        self.delivered: list[tuple[str, datetime]] = []
        self.changes = 0

    async def deliver(self, drill: LiveDrill, message: DeliverMessage) -> None:
        self.delivered.append((message.inject_id, message.at))

    async def changed(self, drill: LiveDrill, effects: Sequence[Effect]) -> None:
        self.changes += 1

    async def applied(self, drill: LiveDrill, command: DrillCommand, effects: Sequence[Effect]) -> None:
        self.done.append(command.describe())

    async def rejected(self, drill: LiveDrill, command: DrillCommand, reason: str) -> None:
        self.refused.append((command.describe(), reason))


def command(kind: str, **payload: Any) -> DrillCommand:
    """A controller command of exercise ex-1."""
    return DrillCommand(str(uuid.uuid4()), kind, "ex-1", payload)


def live_drill(hooks: Hooks, speed: float = 60) -> LiveDrill:
    """The small scenario as a live drill at `speed` on the stand-ins (60×: a real second is a scenario minute)."""
    clock = RealClock()
    drill = LiveDrill(
        small(),
        bootstrap="unused:9092",
        topic_prefix="t.",
        exercise_id="ex-1",
        speed=speed,
        bot=None,
        clock=clock,
        scenario_start=T0,
        settle=0,
        answer_timeout=0,
        hooks=hooks,
    )
    drill._producer = Producer()
    drill._consumer = Consumer(clock)
    return drill


def state(drill: LiveDrill, inject_id: str) -> tuple[str, datetime | None]:
    """An inject's state and execution moment."""
    found = next(s for s in drill.run.states() if s.id == inject_id)
    return found.state, found.executed_at


class Script:
    """Submits commands when the drill reaches given moments; remembers the scenario time seen while held."""

    def __init__(self, steps: list[tuple[Callable[[LiveDrill], bool], DrillCommand]] | None = None) -> None:
        self.steps = steps or []
        self.held_at: list[datetime] = []
        self.clock_states: list[str] = []

    def __call__(self, drill: LiveDrill) -> None:
        if drill.held:
            self.held_at.append(drill.scenario_now())
            self.clock_states.append(drill.clock.state)
        if self.steps and self.steps[0][0](drill):
            drill.submit(self.steps.pop(0)[1])


def reached(minutes: float) -> Callable[[LiveDrill], bool]:
    """True once the scenario clock shows T+`minutes`."""
    return lambda drill: drill.scenario_now() >= at(minutes)


def held_for(reads: int, script: Script) -> Callable[[LiveDrill], bool]:
    """True once the script has seen the drill held `reads` times."""
    return lambda drill: drill.held and len(script.held_at) >= reads


async def test_a_controller_pause_holds_the_clock_through_a_step_and_nothing_fires_until_resumed() -> None:
    hooks = Hooks()
    drill = live_drill(hooks)
    script = Script()
    script.steps = [
        (reached(5), command(PAUSE)),
        (held_for(20, script), command(INJECT_NOW, inject_id="parents")),  # a step while paused
        (held_for(40, script), command(RESUME)),
        (reached(25), command(STOP)),
    ]
    await drill.play(script)
    held = script.held_at

    assert hooks.done == [DrillCommandType.PAUSE, "InjectNow parents", DrillCommandType.RESUME, DrillCommandType.STOP]
    assert held and len(set(held)) == 1, "scenario time moved while the controller had the drill paused"
    paused_at = held[0]
    assert at(5) <= paused_at < at(6)
    assert set(script.clock_states) == {PAUSED}, "a step resumed the clock the controller had paused"
    assert state(drill, "parents") == (EXECUTED, paused_at)
    assert state(drill, "call") == (EXECUTED, at(20))  # fired after the resume, at its own time
    assert [i for i, _ in hooks.delivered] == ["parents", "call"]
    assert drill.run.finished and drill.ended is not None and drill.ended.reason == "stopped by the controller"
    assert drill.clock.state == STOPPED
    assert drill.run.ended_at is not None and at(25) <= drill.run.ended_at < at(27)


async def test_a_command_that_does_not_apply_is_rejected_with_the_reason_and_play_goes_on() -> None:
    hooks = Hooks()
    drill = live_drill(hooks, speed=600)
    await drill.play(
        Script(
            [
                (reached(1), command(HOLD, inject_id="nope")),
                (reached(2), command(SET_SPEED, speed=6000)),
                (reached(3), command(RESUME)),
            ]
        )
    )
    assert hooks.refused == [
        ("HoldInject nope", "scenario small has no inject 'nope'"),
        ("SetDrillSpeed 6000", "speed 6000 is outside 1–600"),
        (DrillCommandType.RESUME, "exercise ex-1 is not paused"),
    ]
    assert [line.split(":")[0] for line in drill.refused] == [
        "HoldInject nope",
        "SetDrillSpeed 6000",
        DrillCommandType.RESUME,
    ]
    assert drill.run.finished and drill.ended is not None and drill.ended.reason == "end of scenario"
    assert drill.clock.state == RUNNING


async def test_a_speed_change_takes_effect_and_commands_left_at_the_end_are_refused() -> None:
    hooks = Hooks()
    drill = live_drill(hooks, speed=1)
    await drill.play(Script([(reached(0.05), command(SET_SPEED, speed=600))]))
    assert hooks.done == ["SetDrillSpeed 600"]
    assert drill.speed == drill.clock.speed == 600
    drill.submit(command(PAUSE))
    await drill.reject_pending("exercise ex-1 has ended")
    assert hooks.refused == [(DrillCommandType.PAUSE, "exercise ex-1 has ended")]
    assert hooks.changes > 0
