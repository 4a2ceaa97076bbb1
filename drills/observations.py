"""What the runner is told happened in the exercise, and when an expected action counts as done.

Observations carry moments on the scenario clock. The driver turns incident events (read back from
`tocsin.incident-events` for this exercise) into observations and feeds them to `DrillRun.observe`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from drills.model import Expectation
from playbooks.levels import Level

PLANNED = "planned"
ACKNOWLEDGED = "acknowledged"
COMPLETED = "completed"
CHANGES = (PLANNED, ACKNOWLEDGED, COMPLETED)


@dataclass(frozen=True)
class IncidentObserved:
    """The exercise's incident has this level and status (from LevelChanged, IncidentOpened, IncidentClosed)."""

    incident_id: str
    level: str
    status: str
    at: datetime


@dataclass(frozen=True)
class ActionObserved:
    """A response step was planned, acknowledged or completed (from ActionsPlanned / ActionUpdated)."""

    action_key: str
    change: str  # planned | acknowledged | completed
    at: datetime
    unit: str | None = None
    incident_id: str | None = None
    by: str | None = None


Observation = IncidentObserved | ActionObserved


def satisfies(expectation: Expectation, observation: Observation) -> bool:
    """True when the observation is the expected action (or a step superseding it; completing also acknowledges)."""
    if expectation.kind == "level_at_least":
        if not isinstance(observation, IncidentObserved) or observation.level == "non_graded":
            return False
        wanted = expectation.level
        return wanted is not None and Level.parse(observation.level) >= wanted
    if not isinstance(observation, ActionObserved) or observation.action_key not in expectation.action_keys:
        return False
    if expectation.kind == "complete":
        return observation.change == COMPLETED
    return observation.change in (ACKNOWLEDGED, COMPLETED)


def first_met(expectation: Expectation, observations: Iterable[Observation]) -> datetime | None:
    """The earliest moment an observation satisfies the expectation, or None."""
    times = [o.at for o in observations if satisfies(expectation, o)]
    return min(times) if times else None
