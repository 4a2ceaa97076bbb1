"""The discussion-based side of a drill (ADR 0029): phases the facilitator advances, answers, evaluators' ratings.

Pure: moments are scenario moments passed in. The phase in play bounds the scenario clock (`horizon`): the
runner fires nothing after the current phase's end until the facilitator advances. Advancing opens the next
phase at its start (a time jump when there is a gap) or, from the last phase, ends the exercise.
Answers and ratings are kept in order; a question can be answered and rated once its phase has been reached.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from drills.errors import DrillCommandError
from drills.model import RATINGS, Phase, Question, Scenario

PENDING = "pending"
CURRENT = "current"
CLOSED = "closed"
MAX_TEXT = 4000
"""The longest answer or note, in characters."""


@dataclass(frozen=True)
class Answer:
    """A unit's answer to a question, by a person, at a scenario moment."""

    id: str
    question_id: str
    unit: str
    by: str
    text: str
    at: datetime

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "id": self.id,
            "question_id": self.question_id,
            "unit": self.unit,
            "by": self.by,
            "text": self.text,
            "at": self.at.isoformat(),
        }


@dataclass(frozen=True)
class Rating:
    """An evaluator's observation of a question or a capability, rated P/S/M/U, with a note."""

    id: str
    evaluator: str
    rating: str
    note: str
    at: datetime
    question_id: str | None = None
    capability: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "id": self.id,
            "evaluator": self.evaluator,
            "rating": self.rating,
            "note": self.note,
            "question_id": self.question_id,
            "capability": self.capability,
            "at": self.at.isoformat(),
        }

    @property
    def target(self) -> str:
        """What is rated: `question:<id>` or `capability:<id>`."""
        return f"question:{self.question_id}" if self.question_id else f"capability:{self.capability}"


@dataclass(frozen=True)
class PhaseStatus:
    """A phase as it went: pending, current or closed, with its scenario moments."""

    id: str
    title: str
    state: str
    started_at: datetime | None = None
    closed_at: datetime | None = None


@dataclass(frozen=True)
class DiscussionRecord:
    """What the discussion left behind, for scoring and the report."""

    phases: tuple[PhaseStatus, ...] = ()
    answers: tuple[Answer, ...] = ()
    ratings: tuple[Rating, ...] = ()


class Discussion:
    """The discussion state of one run of `scenario`, T+0 at `start`."""

    def __init__(self, scenario: Scenario, start: datetime) -> None:
        self.scenario, self.start = scenario, start
        self.current = 0
        self.started: dict[str, datetime] = {scenario.phases[0].id: start} if scenario.phases else {}
        self.closed: dict[str, datetime] = {}
        self.answers: list[Answer] = []
        self.ratings: list[Rating] = []

    @property
    def phase(self) -> Phase | None:
        """The phase in play, or None when the scenario has no phases."""
        return self.scenario.phases[self.current] if self.scenario.phases else None

    @property
    def horizon(self) -> datetime | None:
        """The end of the phase in play: nothing fires after it until the facilitator advances."""
        phase = self.phase
        return None if phase is None else self.start + phase.end

    def advance(self, phase_id: str, at: datetime) -> datetime | None:
        """Close phase `phase_id` (the one in play) at `at`; return when the next one starts, None after the last."""
        phase = self.phase
        if phase is None:
            raise DrillCommandError(f"scenario {self.scenario.id} has no phases")
        if phase.id in self.closed:
            raise DrillCommandError(f"phase {phase.id!r} is closed; the exercise is over")
        if phase_id != phase.id:
            raise DrillCommandError(f"phase {phase_id!r} is not the phase in play ({phase.id!r})")
        self.closed[phase.id] = at
        if self.current + 1 == len(self.scenario.phases):
            return None
        self.current += 1
        following = self.scenario.phases[self.current]
        begins = max(at, self.start + following.start)
        self.started[following.id] = begins
        return begins

    def answer(self, answer: Answer) -> None:
        """Record a unit's answer to a question already put to the players."""
        question = self._asked(answer.question_id)
        if answer.unit not in question.to and answer.unit not in self.scenario.units:
            raise DrillCommandError(
                f"{answer.unit!r} is neither an addressee of question {question.id!r} "
                f"({', '.join(question.to)}) nor a participating unit"
            )
        _check_text(answer.text, "an answer")
        self.answers.append(answer)

    def rate(self, rating: Rating) -> None:
        """Record an evaluator's rating of a question already put or of a capability."""
        if (rating.question_id is None) == (rating.capability is None):
            raise DrillCommandError("a rating is of a question or of a capability (exactly one)")
        if rating.rating not in RATINGS:
            raise DrillCommandError(f"{rating.rating!r} is not a rating ({'/'.join(RATINGS)})")
        if rating.question_id is not None:
            self._asked(rating.question_id)
        elif rating.capability not in {c.id for c in self.scenario.capabilities}:
            raise DrillCommandError(f"scenario {self.scenario.id} has no capability {rating.capability!r}")
        _check_text(rating.note, "a note", empty=True)
        self.ratings.append(rating)

    def record(self) -> DiscussionRecord:
        """The phases' states, the answers and the ratings so far."""
        return DiscussionRecord(
            tuple(
                PhaseStatus(p.id, p.title, self._state(n, p), self.started.get(p.id), self.closed.get(p.id))
                for n, p in enumerate(self.scenario.phases)
            ),
            tuple(self.answers),
            tuple(self.ratings),
        )

    def snapshot(self) -> dict[str, Any]:
        """The discussion for the drill's live view (DrillUpdated.discussion)."""
        record, start = self.record(), self.start
        by_id = {p.id: p for p in record.phases}
        return {
            "current_phase": self.phase.id if self.phase else None,
            "capabilities": [{"id": c.id, "title": c.title} for c in self.scenario.capabilities],
            "unit_names": {u: self.scenario.unit_name(u) for q in self.scenario.questions() for u in q.to},
            "phases": [
                {
                    "id": p.id,
                    "title": p.title,
                    "state": by_id[p.id].state,
                    "start_seconds": p.start.total_seconds(),
                    "end_seconds": p.end.total_seconds(),
                    "narrative": p.narrative,
                    "jump": p.jump,
                    "started_at": _iso(by_id[p.id].started_at),
                    "closed_at": _iso(by_id[p.id].closed_at),
                    "questions": [_question(q) for q in p.questions],
                }
                for p in self.scenario.phases
            ],
            "answers": [{**a.to_dict(), "elapsed_seconds": (a.at - start).total_seconds()} for a in self.answers],
            "ratings": [r.to_dict() for r in self.ratings],
        }

    def _asked(self, question_id: str) -> Question:
        try:
            question = self.scenario.question(question_id)
        except KeyError:
            raise DrillCommandError(f"scenario {self.scenario.id} has no question {question_id!r}") from None
        if question.phase not in self.started:
            raise DrillCommandError(f"question {question_id!r} belongs to phase {question.phase!r}, not reached yet")
        return question

    def _state(self, n: int, phase: Phase) -> str:
        if phase.id in self.closed:
            return CLOSED
        return CURRENT if n == self.current else PENDING


def _check_text(text: str, what: str, *, empty: bool = False) -> None:
    if not text.strip() and not empty:
        raise DrillCommandError(f"{what} needs some text")
    if len(text) > MAX_TEXT:
        raise DrillCommandError(f"{what} is {len(text)} characters; at most {MAX_TEXT}")


def _question(question: Question) -> dict[str, Any]:
    return {
        "id": question.id,
        "to": list(question.to),
        "text": question.text,
        "capability": question.capability,
        "expect": [{"point": p.text, "step": p.step} for p in question.points],
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None
