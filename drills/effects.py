"""Effects: what the pure drill runner asks its driver to do. The driver performs them; the runner never does I/O.

Effect
 ├── PublishReport        post `report` to tocsin.reports (mode=exercise, exercise_id set, key = report_id)
 ├── DeliverMessage       show a message inject to its receivers (participants of this exercise only)
 ├── InjectStateChanged   tell the controller's view that an inject moved (scheduled → executed, ...)
 ├── PhaseChanged         the facilitator closed a phase; the scenario clock jumps to the next one's start
 └── ExerciseEnded        the scenario reached its end or the controller stopped it: score and report
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

EXERCISE = "exercise"


class Effect:
    """Marker base class of everything the runner asks its driver to do."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, with the effect's type name and mode=exercise."""
        raise NotImplementedError


@dataclass(frozen=True)
class PublishReport(Effect):
    """Publish an inject's report to the reports topic (the report is complete: id, time, mode, exercise id)."""

    exercise_id: str
    inject_id: str
    at: datetime
    report: Mapping[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "type": "PublishReport",
            "mode": EXERCISE,
            "exercise_id": self.exercise_id,
            "inject_id": self.inject_id,
            "at": self.at.isoformat(),
            "report": dict(self.report),
        }


@dataclass(frozen=True)
class DeliverMessage(Effect):
    """Deliver a message inject (a phone call, a media query...) to its receivers in the exercise."""

    exercise_id: str
    inject_id: str
    at: datetime
    type: str
    sender: str
    receivers: tuple[str, ...]
    title: str
    text: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form; `title` is marked as an exercise message."""
        return {
            "type": "DeliverMessage",
            "mode": EXERCISE,
            "exercise_id": self.exercise_id,
            "inject_id": self.inject_id,
            "at": self.at.isoformat(),
            "inject_type": self.type,
            "sender": self.sender,
            "receivers": list(self.receivers),
            "title": f"【演练】{self.title}",
            "text": self.text,
        }


@dataclass(frozen=True)
class InjectStateChanged(Effect):
    """An inject changed state; the controller's live inject list shows it."""

    exercise_id: str
    inject_id: str
    at: datetime
    old: str
    new: str
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "type": "InjectStateChanged",
            "mode": EXERCISE,
            "exercise_id": self.exercise_id,
            "inject_id": self.inject_id,
            "at": self.at.isoformat(),
            "old": self.old,
            "new": self.new,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class PhaseChanged(Effect):
    """A phase was closed at `at`; `begins` is when the next one starts (None when the closed one was the last)."""

    exercise_id: str
    closed: str
    opened: str | None
    at: datetime
    begins: datetime | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "type": "PhaseChanged",
            "mode": EXERCISE,
            "exercise_id": self.exercise_id,
            "closed": self.closed,
            "opened": self.opened,
            "at": self.at.isoformat(),
            "begins": self.begins.isoformat() if self.begins else None,
        }


@dataclass(frozen=True)
class ExerciseEnded(Effect):
    """The exercise is over at `at`: no more injects fire; score the run and write the report."""

    exercise_id: str
    at: datetime
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "type": "ExerciseEnded",
            "mode": EXERCISE,
            "exercise_id": self.exercise_id,
            "at": self.at.isoformat(),
            "reason": self.reason,
        }
