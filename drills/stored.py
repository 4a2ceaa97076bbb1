"""The stored form of a run's discussion (run.json): phases as they went, answers and ratings, and back."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from drills.discussion import Answer, DiscussionRecord, PhaseStatus, Rating


def discussion_to_dict(record: DiscussionRecord) -> dict[str, Any]:
    """JSON-ready form of a discussion record."""
    return {
        "phases": [
            {
                "id": p.id,
                "title": p.title,
                "state": p.state,
                "started_at": _iso(p.started_at),
                "closed_at": _iso(p.closed_at),
            }
            for p in record.phases
        ],
        "answers": [a.to_dict() for a in record.answers],
        "ratings": [r.to_dict() for r in record.ratings],
    }


def discussion_from_dict(data: Mapping[str, Any]) -> DiscussionRecord:
    """A discussion record from its stored form (an empty one from `{}`)."""
    return DiscussionRecord(
        tuple(
            PhaseStatus(p["id"], p["title"], p["state"], _time(p.get("started_at")), _time(p.get("closed_at")))
            for p in data.get("phases") or []
        ),
        tuple(
            Answer(a["id"], a["question_id"], a["unit"], a["by"], a["text"], datetime.fromisoformat(a["at"]))
            for a in data.get("answers") or []
        ),
        tuple(
            Rating(
                r["id"],
                r["evaluator"],
                r["rating"],
                r["note"],
                datetime.fromisoformat(r["at"]),
                question_id=r.get("question_id"),
                capability=r.get("capability"),
            )
            for r in data.get("ratings") or []
        ),
    )


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _time(text: object) -> datetime | None:
    return datetime.fromisoformat(str(text)) if text else None
