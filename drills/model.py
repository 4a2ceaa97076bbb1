"""A drill scenario as the runner sees it: metadata, objectives, and the MSEL of injects with expected actions.

Scenario times are offsets from T+0 (`timedelta`); the runner turns them into moments on the scenario clock.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from playbooks.levels import Level

INJECT_TYPES = ("report", "update", "message", "media_query", "phone_call", "decision_request")
"""What an inject is; `report` and `update` carry a report, the others a text for the players."""
REPORT_TYPES = frozenset({"report", "update"})
DELIVERIES = ("automatic", "manual", "conditional", "contingency")
EXPECTATION_KINDS = ("acknowledge", "complete", "level_at_least")
RATINGS = ("P", "S", "M", "U")
"""HSEEP ratings: performed without challenges, with some challenges, with major challenges; unable to perform."""

_TIME = re.compile(r"^T\+(\d{1,3}):([0-5]\d)(?::([0-5]\d))?$")
SCENARIO_TIME_PATTERN = r"^T\+\d{1,3}:[0-5]\d(:[0-5]\d)?$"
"""The same grammar as a JSON Schema pattern (kept in step with `_TIME` by a test)."""


def parse_scenario_time(text: object) -> timedelta:
    """Read 'T+0:40' or 'T+1:05:30' as an offset from T+0; raise ValueError naming the bad text otherwise."""
    match = _TIME.match(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"{text!r} is not a scenario time (T+h:mm, e.g. T+0:40)")
    hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return timedelta(hours=hours, minutes=minutes, seconds=seconds)


def format_scenario_time(offset: timedelta) -> str:
    """An offset as 'T+1:05' (seconds only when not zero; 'T-' before T+0)."""
    sign = "-" if offset < timedelta(0) else "+"
    total = int(abs(offset).total_seconds())
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    tail = f":{seconds:02d}" if seconds else ""
    return f"T{sign}{hours}:{minutes:02d}{tail}"


@dataclass(frozen=True)
class Objective:
    """An exercise objective: what the players should show they can do."""

    id: str
    title: str
    description: str = ""


@dataclass(frozen=True)
class Expectation:
    """An expected player action, anchored to its inject, due `deadline` after it or at scenario time `due`."""

    id: str
    inject_id: str
    objective: str
    kind: str  # acknowledge | complete | level_at_least
    target: str  # a playbook action key, or a level for level_at_least
    unit: str
    title: str
    deadline: timedelta | None = None
    due: timedelta | None = None
    action_kind: str = ""  # the playbook step's kind (notify, task...); "" for level_at_least
    weight: float = 1.0
    deadline_source: str = "playbook"  # playbook | scenario
    superseded_by: tuple[str, ...] = ()  # steps that replace `target` at a higher level; doing one counts

    @property
    def action_keys(self) -> tuple[str, ...]:
        """The step keys that satisfy this expectation: the target, then the steps that supersede it."""
        return (self.target, *self.superseded_by) if self.kind != "level_at_least" else ()

    @property
    def level(self) -> Level | None:
        """The level a `level_at_least` expectation asks for."""
        return Level.parse(self.target) if self.kind == "level_at_least" else None


@dataclass(frozen=True)
class InjectCondition:
    """Fire when another inject reaches `state` (executed or cancelled), `after` that."""

    inject: str
    state: str = "executed"
    after: timedelta = timedelta(0)


@dataclass(frozen=True)
class IncidentCondition:
    """Fire once the exercise's incident reaches a level and/or a status, `after` that."""

    level_at_least: Level | None = None
    status: str | None = None
    after: timedelta = timedelta(0)


Condition = InjectCondition | IncidentCondition


@dataclass(frozen=True)
class Inject:
    """One MSEL line: when and how it is delivered, from whom to whom, what it says, what it expects."""

    id: str
    title: str
    type: str
    delivery: str
    at: timedelta | None
    sender: str
    receivers: tuple[str, ...]
    report: Mapping[str, Any] | None = None
    text: str = ""
    condition: Condition | None = None
    unless: str | None = None
    expect: tuple[Expectation, ...] = ()


@dataclass(frozen=True)
class Capability:
    """A capability the evaluators rate (e.g. 公共卫生调查, 信息发布), HSEEP's core capabilities in the plan's words."""

    id: str
    title: str


@dataclass(frozen=True)
class AnswerPoint:
    """One point the plan expects in an answer, with the playbook step it refers to (when there is one)."""

    text: str
    step: str | None = None


@dataclass(frozen=True)
class Question:
    """A facilitator's question to units or roles in a phase, rated against its expected answer points."""

    id: str
    phase: str
    to: tuple[str, ...]
    text: str
    capability: str
    points: tuple[AnswerPoint, ...] = ()


@dataclass(frozen=True)
class Phase:
    """A phase of a discussion-based exercise: its scenario-time span, narrative and questions."""

    id: str
    title: str
    start: timedelta
    end: timedelta
    narrative: str = ""
    jump: str = ""  # what the time jump into this phase says happened ("T+2 days: all patients stable")
    questions: tuple[Question, ...] = ()


@dataclass(frozen=True)
class Scenario:
    """A validated drill scenario, its playbook's deadlines and names already resolved."""

    id: str
    title: str
    playbook: str
    playbook_version: str
    incident_type: str
    end: timedelta
    objectives: tuple[Objective, ...]
    units: tuple[str, ...]
    injects: tuple[Inject, ...]
    unit_names: Mapping[str, str] = field(default_factory=dict)
    start: datetime | None = None
    description: str = ""
    filename: str = ""
    phases: tuple[Phase, ...] = ()
    capabilities: tuple[Capability, ...] = ()

    def inject(self, inject_id: str) -> Inject:
        """The inject with this id; KeyError if none."""
        for inject in self.injects:
            if inject.id == inject_id:
                return inject
        raise KeyError(f"scenario {self.id} has no inject {inject_id!r}")

    def expectations(self) -> tuple[Expectation, ...]:
        """Every expected action, in MSEL order."""
        return tuple(e for inject in self.injects for e in inject.expect)

    def unit_name(self, unit: str) -> str:
        """A unit's name from the playbook, or its id."""
        return self.unit_names.get(unit, unit)

    def objective_title(self, objective: str) -> str:
        """An objective's title, or its id."""
        return next((o.title for o in self.objectives if o.id == objective), objective)

    def questions(self) -> tuple[Question, ...]:
        """Every question of every phase, in phase order."""
        return tuple(q for phase in self.phases for q in phase.questions)

    def question(self, question_id: str) -> Question:
        """The question with this id; KeyError if none."""
        for question in self.questions():
            if question.id == question_id:
                return question
        raise KeyError(f"scenario {self.id} has no question {question_id!r}")

    def capability_title(self, capability: str) -> str:
        """A capability's title, or its id."""
        return next((c.title for c in self.capabilities if c.id == capability), capability)
