"""Level changes: automatic raises when facts cross a threshold, and commanders' decisions with a reason.

A raise adds the new level's steps on top of those running (none duplicated; a tightened step names
the running steps it supersedes). Lowering is never automatic: `suggest_lower` only proposes it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from playbooks.errors import LevelDecisionError
from playbooks.facts import Facts
from playbooks.grading import Grading
from playbooks.json_types import JsonObject
from playbooks.levels import Level
from playbooks.model import Playbook
from playbooks.planning import PlannedAction, plan_additions, replaced_by


@dataclass(frozen=True)
class LevelChange:
    """A move between levels, why it happened, and the steps it adds or replaces."""

    from_level: Level
    to_level: Level
    explanation: str
    rule_id: str | None = None
    decided_by: str | None = None
    reason: str | None = None
    added_actions: tuple[PlannedAction, ...] = ()
    superseded: tuple[str, ...] = ()

    @property
    def automatic(self) -> bool:
        """True when the facts raised the level, False for a commander's decision."""
        return self.decided_by is None

    @property
    def is_raise(self) -> bool:
        """True when the new level is more severe."""
        return self.to_level > self.from_level

    def to_dict(self) -> JsonObject:
        """JSON-ready form."""
        return {
            "from": self.from_level.value,
            "to": self.to_level.value,
            "explanation": self.explanation,
            "rule_id": self.rule_id,
            "decided_by": self.decided_by,
            "reason": self.reason,
            "automatic": self.automatic,
            "added_actions": [a.to_dict() for a in self.added_actions],
            "superseded": list(self.superseded),
        }


def raise_level(  # noqa: PLR0913 - the planning facts, keyword-only
    playbook: Playbook,
    current: Level,
    new_grading: Grading,
    *,
    running: Iterable[str],
    facts: Facts,
    venue_type: str | None,
    now: datetime,
    first_report_at: datetime,
    previous_automatic: Level | None = None,
) -> LevelChange | None:
    """Raise to the automatic level if it is above `current`; None otherwise.

    Pass `previous_automatic` (the last automatic grading) so that, after a commander lowered the
    level, the same facts do not raise it again: only a newly crossed threshold does.
    """
    floor = max(current, previous_automatic) if previous_automatic is not None else current
    if new_grading.level <= floor:
        return None
    added, superseded = _additions(playbook, new_grading.level, running, facts, venue_type, now, first_report_at)
    return LevelChange(
        current,
        new_grading.level,
        new_grading.explanation,
        new_grading.rule_id,
        added_actions=added,
        superseded=superseded,
    )


def decide_level(  # noqa: PLR0913 - the decision and the planning facts, keyword-only
    playbook: Playbook,
    current: Level,
    requested: Level,
    *,
    reason: str,
    decided_by: str,
    running: Iterable[str],
    facts: Facts,
    venue_type: str | None,
    now: datetime,
    first_report_at: datetime,
) -> LevelChange:
    """A commander's raise or lower ("the government determines"); a lower adds no steps."""
    if not reason or not reason.strip():
        raise LevelDecisionError("a level decision needs a reason")
    if not decided_by or not decided_by.strip():
        raise LevelDecisionError("a level decision needs the name of who decided")
    if requested == current:
        raise LevelDecisionError(f"the level is already {current.value}")
    if requested is not Level.NON_GRADED and requested not in playbook.levels:
        raise LevelDecisionError(f"playbook {playbook.id} has no plan for level {requested.value}")
    explanation = f"{requested.value}: decided by {decided_by.strip()}: {reason.strip()}"
    added: tuple[PlannedAction, ...] = ()
    superseded: tuple[str, ...] = ()
    if requested > current:
        added, superseded = _additions(playbook, requested, running, facts, venue_type, now, first_report_at)
    return LevelChange(current, requested, explanation, None, decided_by.strip(), reason.strip(), added, superseded)


def _additions(  # noqa: PLR0913 - plan_additions' facts, passed on
    playbook: Playbook,
    level: Level,
    running: Iterable[str],
    facts: Facts,
    venue_type: str | None,
    now: datetime,
    first_report_at: datetime,
) -> tuple[tuple[PlannedAction, ...], tuple[str, ...]]:
    have = set(running)
    added = plan_additions(
        playbook, level, running=have, facts=facts, venue_type=venue_type, now=now, first_report_at=first_report_at
    )
    superseded = replaced_by(playbook, (a.key for a in added)) & have
    return added, tuple(sorted(superseded))
