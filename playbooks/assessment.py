"""The expert group's assessment (专家组研判): recorded with who, conclusion, recommendation and time.

A playbook may require one before a level is lowered or termination is approved (`expert_assessment.required_for`).
An assessment counts for a decision when it recommends that decision and was made after the level last changed
(an assessment of an earlier situation does not justify today's decision). `missing_assessment` says, in words a
commander can act on, what is missing; the handlers refuse the command with it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from playbooks.json_types import JsonObject
from playbooks.levels import Level


class Decision(StrEnum):
    """A decision that may need an expert assessment first."""

    LOWER_LEVEL = "lower_level"
    TERMINATION = "termination"


class Recommendation(StrEnum):
    """What the experts recommend."""

    LOWER_LEVEL = "lower_level"
    TERMINATE = "terminate"
    MAINTAIN = "maintain"
    RAISE_LEVEL = "raise_level"


SUPPORTS = {Decision.LOWER_LEVEL: Recommendation.LOWER_LEVEL, Decision.TERMINATION: Recommendation.TERMINATE}
"""The recommendation each decision needs."""


@dataclass(frozen=True)
class Assessment:
    """One recorded expert assessment."""

    id: str
    experts: tuple[str, ...]
    conclusion: str
    recommendation: Recommendation
    assessed_at: datetime
    recorded_by: str
    recorded_at: datetime
    level: Level | None = None
    """The level the experts recommend (for lower_level / raise_level), if they named one."""

    def to_dict(self) -> JsonObject:
        """JSON-ready form (the AssessmentRecorded event's payload, and the stored state)."""
        return {
            "id": self.id,
            "experts": list(self.experts),
            "conclusion": self.conclusion,
            "recommendation": self.recommendation.value,
            "level": self.level.value if self.level else None,
            "assessed_at": self.assessed_at.isoformat(),
            "recorded_by": self.recorded_by,
            "recorded_at": self.recorded_at.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: JsonObject) -> Assessment:
        """Rebuild an assessment from `to_dict` output."""
        level = data.get("level")
        return cls(
            id=data["id"],
            experts=tuple(data.get("experts") or ()),
            conclusion=data.get("conclusion") or "",
            recommendation=Recommendation(data["recommendation"]),
            level=Level(level) if level else None,
            assessed_at=datetime.fromisoformat(data["assessed_at"]),
            recorded_by=data.get("recorded_by") or "",
            recorded_at=datetime.fromisoformat(data["recorded_at"]),
        )


def supporting(
    assessments: Iterable[Assessment], decision: Decision, *, since: datetime | None, to_level: Level | None = None
) -> Assessment | None:
    """The newest assessment made after `since` that recommends `decision` (and, for lowering, a level no lower
    than the experts named), or None."""
    wanted = SUPPORTS[decision]
    fitting = [
        a
        for a in assessments
        if a.recommendation is wanted
        and (since is None or a.assessed_at >= since)
        and not (to_level is not None and a.level is not None and to_level < a.level)
    ]
    return max(fitting, key=lambda a: a.assessed_at, default=None)


def missing_assessment(
    assessments: Iterable[Assessment],
    decision: Decision,
    *,
    since: datetime | None,
    what: str,
    to_level: Level | None = None,
) -> str | None:
    """Why `decision` cannot be taken yet for want of an assessment (None when one supports it)."""
    if supporting(assessments, decision, since=since, to_level=to_level) is not None:
        return None
    when = f" made since the level last changed ({since.isoformat()})" if since is not None else ""
    floor = f" (to {to_level.value} or above)" if to_level is not None else ""
    return (
        f"{what} needs a recorded expert assessment (专家组研判) recommending {SUPPORTS[decision].value}{floor}{when}; "
        "none is recorded: record the expert group's assessment first (POST /incidents/{id}/assessments)"
    )
