"""What a drill run shows and leaves behind: inject states, expectation windows, the log, the result."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from drills.discussion import DiscussionRecord
from drills.model import Expectation, Scenario
from drills.observations import Observation

SCHEDULED = "scheduled"
ON_HOLD = "on_hold"
EXECUTED = "executed"
CANCELLED = "cancelled"

INJECT_TRANSITIONS: dict[str, frozenset[str]] = {
    SCHEDULED: frozenset({ON_HOLD, EXECUTED, CANCELLED}),
    ON_HOLD: frozenset({SCHEDULED, EXECUTED, CANCELLED}),
    EXECUTED: frozenset(),
    CANCELLED: frozenset(),
}
"""Allowed inject state changes (DRIVER-EU's states without IN_PROGRESS: an inject is one publish)."""


@dataclass(frozen=True)
class InjectStatus:
    """One line of the controller's live inject list."""

    id: str
    title: str
    type: str
    delivery: str
    at: timedelta | None
    state: str
    executed_at: datetime | None = None
    fire_at: datetime | None = None
    note: str = ""


@dataclass(frozen=True)
class Window:
    """An expected action's window: from its inject's execution (`anchor_at`) to `due_at`; None until anchored."""

    expectation: Expectation
    anchor_at: datetime | None
    due_at: datetime | None

    @property
    def allowed(self) -> timedelta | None:
        """The time the players had (at least one minute, so a decay is always defined)."""
        if self.anchor_at is None or self.due_at is None:
            return None
        return max(self.due_at - self.anchor_at, timedelta(minutes=1))


@dataclass(frozen=True)
class LogEntry:
    """A line of the exercise timeline: an inject, a controller command, a player action, an incident change."""

    at: datetime
    kind: str  # inject | controller | contingency | player | incident | phase | answer | evaluation | system | end
    subject: str
    text: str


@dataclass(frozen=True)
class RunResult:
    """A finished (or stopped) run: everything scoring and the after-action report need."""

    scenario: Scenario
    exercise_id: str
    scenario_start: datetime
    ended_at: datetime
    injects: tuple[InjectStatus, ...]
    windows: tuple[Window, ...]
    observations: tuple[Observation, ...]
    log: tuple[LogEntry, ...]
    discussion: DiscussionRecord = field(default_factory=DiscussionRecord)

    def offset(self, moment: datetime) -> timedelta:
        """A moment as an offset from T+0."""
        return moment - self.scenario_start
