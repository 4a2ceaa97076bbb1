"""Scoring a drill: each expected action met, late or missed, and scores per objective and per unit.

The formula (ADR 0014), from scenario times only, so a run scores the same at 1× and at 600×:
- met (done by its due time): value 1;
- late by L, with A the time allowed (due − anchor): value max(0, 1 − L / A), i.e. 0 at twice the deadline;
- missed (not done by the end of the exercise, which came after the due time): value 0;
- void (its inject never fired) and open (due after the exercise ended, not done): not scored.
A score is 100 × Σ weight·value / Σ weight over the scored actions, rounded to 0.1; None when none is scored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from drills.evaluation import DiscussionScore, combined, score_discussion
from drills.model import Expectation, Scenario, format_scenario_time
from drills.observations import Observation, first_met
from drills.result import RunResult, Window

MET = "met"
LATE = "late"
MISSED = "missed"
OPEN = "open"
VOID = "void"
SCORED = frozenset({MET, LATE, MISSED})


@dataclass(frozen=True)
class Assessment:
    """How one expected action went."""

    expectation: Expectation
    status: str
    anchor_at: datetime | None = None
    due_at: datetime | None = None
    done_at: datetime | None = None
    late_by: timedelta | None = None
    value: float | None = None

    @property
    def response_time(self) -> timedelta | None:
        """From the inject to the action (zero if the players acted before the inject)."""
        if self.done_at is None or self.anchor_at is None:
            return None
        return max(self.done_at - self.anchor_at, timedelta(0))

    @property
    def allowed(self) -> timedelta | None:
        """The time the players had."""
        return Window(self.expectation, self.anchor_at, self.due_at).allowed


@dataclass(frozen=True)
class GroupScore:
    """The score of the expected actions of one objective or one unit."""

    key: str
    title: str
    percent: float | None
    met: int
    late: int
    missed: int
    unscored: int


@dataclass(frozen=True)
class Score:
    """The whole run's score: timing per objective and per unit, every assessment, and the discussion's ratings."""

    percent: float | None
    objectives: tuple[GroupScore, ...]
    units: tuple[GroupScore, ...]
    assessments: tuple[Assessment, ...]
    discussion: DiscussionScore | None = None

    @property
    def overall(self) -> float | None:
        """Timing and discussion combined (ADR 0029); the timing score when nothing was discussed."""
        return combined(self.percent, self.discussion.percent if self.discussion else None)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (times as T+ offsets are in the report; here ISO-8601)."""
        return {
            "percent": self.percent,
            "overall": self.overall,
            "discussion": self.discussion.to_dict() if self.discussion else None,
            "objectives": [vars(g) for g in self.objectives],
            "units": [vars(g) for g in self.units],
            "assessments": [_assessment_dict(a) for a in self.assessments],
        }


def assess(window: Window, observations: Iterable[Observation], *, ended_at: datetime) -> Assessment:
    """Assess one expected action from the observations made up to the end of the exercise."""
    exp = window.expectation
    if window.anchor_at is None or window.due_at is None:
        return Assessment(exp, VOID)
    done = first_met(exp, (o for o in observations if o.at <= ended_at))
    anchor, due = window.anchor_at, window.due_at
    if done is not None and done <= due:
        return Assessment(exp, MET, anchor, due, done, value=1.0)
    if done is not None:
        late_by = done - due
        allowed = window.allowed or timedelta(minutes=1)
        return Assessment(exp, LATE, anchor, due, done, late_by, max(0.0, 1 - late_by / allowed))
    if ended_at < due:
        return Assessment(exp, OPEN, anchor, due)
    return Assessment(exp, MISSED, anchor, due, value=0.0)


def score(
    windows: Iterable[Window],
    observations: Iterable[Observation],
    *,
    ended_at: datetime,
    scenario: Scenario | None = None,
) -> Score:
    """Score expected actions against what was observed; deterministic for the same inputs."""
    seen = list(observations)
    assessments = tuple(assess(w, seen, ended_at=ended_at) for w in windows)
    objective_title: Callable[[str], str] = scenario.objective_title if scenario else str
    unit_title: Callable[[str], str] = scenario.unit_name if scenario else str
    objectives = [o.id for o in scenario.objectives] if scenario else []
    return Score(
        percent=_percent(assessments),
        objectives=_groups(assessments, lambda a: a.expectation.objective, objective_title, objectives),
        units=_groups(assessments, lambda a: a.expectation.unit, unit_title, list(scenario.units) if scenario else []),
        assessments=assessments,
    )


def score_run(result: RunResult) -> Score:
    """Score a finished run: its expected actions on time, and its discussion's ratings."""
    timing = score(result.windows, result.observations, ended_at=result.ended_at, scenario=result.scenario)
    return replace(timing, discussion=score_discussion(result.scenario, result.discussion))


def _percent(assessments: Iterable[Assessment]) -> float | None:
    scored = [a for a in assessments if a.status in SCORED and a.value is not None]
    total = sum(a.expectation.weight for a in scored)
    if not scored or total <= 0:
        return None
    return round(100 * sum(a.expectation.weight * (a.value or 0.0) for a in scored) / total, 1)


def _groups(
    assessments: tuple[Assessment, ...], key: Callable[[Assessment], str], title: Callable[[str], str], order: list[str]
) -> tuple[GroupScore, ...]:
    keys = list(dict.fromkeys([*order, *(key(a) for a in assessments)]))
    groups = []
    for k in keys:
        mine = [a for a in assessments if key(a) == k]
        if not mine:
            continue
        count = {s: sum(1 for a in mine if a.status == s) for s in (MET, LATE, MISSED)}
        groups.append(
            GroupScore(
                k, title(k), _percent(mine), count[MET], count[LATE], count[MISSED], len(mine) - sum(count.values())
            )
        )
    return tuple(groups)


def _assessment_dict(a: Assessment) -> dict[str, Any]:
    def iso(moment: datetime | None) -> str | None:
        return moment.isoformat() if moment else None

    return {
        "expectation": a.expectation.id,
        "objective": a.expectation.objective,
        "unit": a.expectation.unit,
        "status": a.status,
        "anchor_at": iso(a.anchor_at),
        "due_at": iso(a.due_at),
        "done_at": iso(a.done_at),
        "late_by": format_scenario_time(a.late_by)[2:] if a.late_by is not None else None,
        "value": None if a.value is None else round(a.value, 4),
    }
