"""What-if evaluation: grade hypothetical facts and show the plan that level would start."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from playbooks.facts import Facts
from playbooks.grading import Grading, grade
from playbooks.json_types import JsonObject
from playbooks.model import Playbook
from playbooks.planning import PlannedAction, plan_response


@dataclass(frozen=True)
class Evaluation:
    """The grading of some facts and the response plan of that level, as if activated at `now`."""

    playbook_id: str
    version: str
    facts: Facts
    venue_type: str | None
    grading: Grading
    lead: str | None
    groups: tuple[str, ...]
    actions: tuple[PlannedAction, ...]
    evaluated_at: datetime

    def to_dict(self) -> JsonObject:
        """JSON-ready form (the CLI prints it; the API returns it)."""
        return {
            "playbook_id": self.playbook_id,
            "version": self.version,
            "rule_set": self.grading.rule_set,
            "facts": self.facts.to_mapping(),
            "venue_type": self.venue_type,
            **self.grading.to_dict(),
            "lead": self.lead,
            "groups": list(self.groups),
            "evaluated_at": self.evaluated_at.isoformat(),
            "actions": [a.to_dict() for a in self.actions],
        }


def evaluate(playbook: Playbook, facts: Facts, *, venue_type: str | None = None, now: datetime) -> Evaluation:
    """Grade `facts` and plan that level's response as if it were activated (and first reported) at `now`."""
    grading = grade(playbook, facts, venue_type=venue_type)
    plans = playbook.plan_levels(grading.level)
    top = playbook.levels.get(grading.level)
    groups = tuple(dict.fromkeys(g for plan in plans for g in plan.groups))
    actions = plan_response(
        playbook, grading.level, facts=facts, venue_type=venue_type, activated_at=now, first_report_at=now
    )
    return Evaluation(
        playbook.id, playbook.version, facts, venue_type, grading, top.lead if top else None, groups, actions, now
    )
