"""Scoring the discussion (ADR 0029): evaluators' P/S/M/U ratings per question, per capability and per unit.

A rating is worth P = 1, S = 2/3, M = 1/3, U = 0. Each evaluator's newest rating of a target counts (a later
one corrects an earlier one). A question's score is the mean of its ratings; a capability's the mean of the
ratings of its questions and of the capability itself; a unit's the mean of the ratings of the questions put
to it; the discussion's the mean of every counted rating. Scores are 0–100, rounded to 0.1, None when nothing
is rated. Answers are quoted, never scored by machine: the evaluators judge them against the expected points.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from drills.discussion import Answer, DiscussionRecord, Rating
from drills.model import RATINGS, Question, Scenario

RATING_VALUES = {"P": 1.0, "S": 2 / 3, "M": 1 / 3, "U": 0.0}
RATING_NAMES = {
    "P": "P 无挑战 performed without challenges",
    "S": "S 有一些挑战 performed with some challenges",
    "M": "M 有重大挑战 performed with major challenges",
    "U": "U 未能完成 unable to perform",
}


@dataclass(frozen=True)
class QuestionResult:
    """One question: its answers, the counted ratings, its score and the addressees that did not answer (once asked)."""

    question: Question
    answers: tuple[Answer, ...]
    ratings: tuple[Rating, ...]
    percent: float | None
    unanswered: tuple[str, ...]


@dataclass(frozen=True)
class RatedGroup:
    """The ratings of one capability or one unit: the score and how many of each rating."""

    key: str
    title: str
    percent: float | None
    counts: tuple[int, int, int, int]  # P, S, M, U


@dataclass(frozen=True)
class DiscussionScore:
    """The discussion's score, per question, per capability and per unit."""

    percent: float | None
    questions: tuple[QuestionResult, ...]
    capabilities: tuple[RatedGroup, ...]
    units: tuple[RatedGroup, ...]
    capability_ratings: tuple[Rating, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "percent": self.percent,
            "questions": [
                {
                    "id": q.question.id,
                    "phase": q.question.phase,
                    "capability": q.question.capability,
                    "percent": q.percent,
                    "answers": len(q.answers),
                    "ratings": [r.rating for r in q.ratings],
                    "unanswered": list(q.unanswered),
                }
                for q in self.questions
            ],
            "capabilities": [_group(g) for g in self.capabilities],
            "units": [_group(g) for g in self.units],
        }


def counted(ratings: Iterable[Rating]) -> list[Rating]:
    """Each evaluator's newest rating of each target, in the order they were first given."""
    newest: dict[tuple[str, str], Rating] = {}
    for rating in ratings:
        newest.pop((rating.evaluator, rating.target), None)
        newest[(rating.evaluator, rating.target)] = rating
    return list(newest.values())


def percent_of(ratings: Sequence[Rating]) -> float | None:
    """The mean value of the ratings as 0–100, or None when there are none."""
    if not ratings:
        return None
    return round(100 * sum(RATING_VALUES[r.rating] for r in ratings) / len(ratings), 1)


def score_discussion(scenario: Scenario, record: DiscussionRecord) -> DiscussionScore | None:
    """The discussion's score, or None for a scenario without questions."""
    questions = scenario.questions()
    if not questions:
        return None
    ratings = counted(record.ratings)
    reached = (
        {p.id for p in record.phases if p.started_at is not None} if record.phases else {p.id for p in scenario.phases}
    )
    results = tuple(_question(q, record.answers, ratings, asked=q.phase in reached) for q in questions)
    direct = tuple(r for r in ratings if r.capability is not None)
    capabilities = tuple(
        _rated(
            c.id,
            c.title,
            [r for q in results if q.question.capability == c.id for r in q.ratings]
            + [r for r in direct if r.capability == c.id],
        )
        for c in scenario.capabilities
    )
    addressees = list(dict.fromkeys(u for q in questions for u in q.to))
    units = tuple(
        _rated(u, scenario.unit_name(u), [r for q in results if u in q.question.to for r in q.ratings])
        for u in addressees
    )
    every = [r for q in results for r in q.ratings] + list(direct)
    return DiscussionScore(percent_of(every), results, capabilities, units, direct)


def combined(timing: float | None, discussion: float | None) -> float | None:
    """The overall score: the mean of the timing and the discussion scores, or whichever exists."""
    parts = [p for p in (timing, discussion) if p is not None]
    return round(sum(parts) / len(parts), 1) if parts else None


def _question(
    question: Question, answers: Iterable[Answer], ratings: Iterable[Rating], *, asked: bool
) -> QuestionResult:
    mine = tuple(a for a in answers if a.question_id == question.id)
    rated = tuple(r for r in ratings if r.question_id == question.id)
    answered = {a.unit for a in mine}
    missing = tuple(u for u in question.to if u not in answered) if asked else ()
    return QuestionResult(question, mine, rated, percent_of(rated), missing)


def _rated(key: str, title: str, ratings: Sequence[Rating]) -> RatedGroup:
    counts = tuple(sum(1 for r in ratings if r.rating == value) for value in RATINGS)
    return RatedGroup(key, title, percent_of(ratings), (counts[0], counts[1], counts[2], counts[3]))


def _group(group: RatedGroup) -> dict[str, Any]:
    return {
        "key": group.key,
        "title": group.title,
        "percent": group.percent,
        **dict(zip(RATINGS, group.counts, strict=True)),
    }
