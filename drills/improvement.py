"""The improvement plan (改进计划) of an after-action report: issue, action, owner unit, due date; CSV export.

Items come from expected actions done late or missed, questions an addressed unit did not answer, and
questions and capabilities the evaluators rated M or U. Due dates count from the report date: 14 days for
what was missed, unanswered or rated U, 30 days for what was late or rated M. Pure; the date is passed in.

After the exercise each item is tracked (ADR 0029): `open` → `in_progress` → `done` (reopening goes back), each
change with who, when and a note (`track`). Item ids are `ip-01`, `ip-02`... in plan order.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from drills.errors import DrillCommandError
from drills.evaluation import DiscussionScore, QuestionResult
from drills.model import Scenario
from drills.scoring import LATE, MISSED, Score
from infra.wire.drill import IMPROVEMENT_PLAN_COLUMNS

URGENT_DAYS = 14
LATER_DAYS = 30
OPEN, IN_PROGRESS, DONE = "open", "in_progress", "done"
STATUSES = (OPEN, IN_PROGRESS, DONE)
TRANSITIONS: dict[str, tuple[str, ...]] = {
    OPEN: (IN_PROGRESS, DONE),
    IN_PROGRESS: (OPEN, DONE),
    DONE: (IN_PROGRESS,),
}
"""Where an item's status may go from each status (a note alone may be added in any status)."""
MAX_NOTE = 2000


def item_id(n: int) -> str:
    """The id of the plan's `n`-th item (0-based): ip-01, ip-02..."""
    return f"ip-{n + 1:02d}"


@dataclass(frozen=True)
class PlanItem:
    """One line of the improvement plan; `source` names what raised it (an expected action, a question...)."""

    issue: str
    action: str
    owner: str
    owner_name: str
    due: date
    source: str
    id: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, open and untracked (`status`, `history`)."""
        return {
            "id": self.id,
            "status": OPEN,
            "history": [],
            "issue": self.issue,
            "action": self.action,
            "owner": self.owner,
            "owner_name": self.owner_name,
            "due": self.due.isoformat(),
            "source": self.source,
        }


def improvement_plan(scenario: Scenario, score: Score, report_date: date) -> list[PlanItem]:
    """Every improvement item of a scored run, timing first, then the discussion."""
    name = scenario.unit_name

    def item(issue: str, action: str, owner: str, days: int, source: str) -> PlanItem:
        return PlanItem(issue, action, owner, name(owner), report_date + timedelta(days=days), source)

    items: list[PlanItem] = []
    for a in score.assessments:
        exp = a.expectation
        if a.status == MISSED:
            action = "明确职责与流程并组织专项演练 define the duty and rehearse it"
            items.append(item(exp.title, action, exp.unit, URGENT_DAYS, f"action:{exp.id}"))
        elif a.status == LATE:
            action = "优化流程、缩短响应时间 streamline to meet the deadline"
            items.append(item(exp.title, action, exp.unit, LATER_DAYS, f"action:{exp.id}"))
    if score.discussion is not None:
        items += _discussion_items(scenario, score.discussion, item)
    return [replace(i, id=item_id(n)) for n, i in enumerate(items)]


def track(item: Mapping[str, Any], status: str, note: str, by: str, at: datetime) -> dict[str, Any]:
    """The item after `by` sets its status (with a note) at `at`; raise DrillCommandError when it may not."""
    current = str(item.get("status") or OPEN)
    if status not in STATUSES:
        raise DrillCommandError(f"{status!r} is not a status of an improvement item ({', '.join(STATUSES)})")
    if len(note) > MAX_NOTE:
        raise DrillCommandError(f"the note is {len(note)} characters; at most {MAX_NOTE}")
    if status == current and not note.strip():
        raise DrillCommandError(f"item {item.get('id')!r} is already {current}; say what changed in a note")
    if status != current and status not in TRANSITIONS.get(current, ()):
        raise DrillCommandError(
            f"item {item.get('id')!r} is {current}; it can become {' or '.join(TRANSITIONS.get(current, ()))}"
        )
    change = {"from": current, "status": status, "note": note, "by": by, "at": at.isoformat()}
    return {**item, "status": status, "history": [*list(item.get("history") or []), change]}


def _discussion_items(
    scenario: Scenario, discussion: DiscussionScore, item: Callable[[str, str, str, int, str], PlanItem]
) -> list[PlanItem]:
    items: list[PlanItem] = []
    for result in discussion.questions:
        question = result.question
        for unit in result.unanswered:
            items.append(
                item(
                    f"未回答 not answered: {question.text}",
                    "对照预案明确本单位职责，组织培训 learn the unit's duty in the plan",
                    unit,
                    URGENT_DAYS,
                    f"question:{question.id}",
                )
            )
        low = [r for r in result.ratings if r.rating in ("M", "U")]
        if low:
            items.append(
                item(
                    f"{question.text}（{_notes(result)}）",
                    "对照预案要点修订流程并组织专项演练 revise against the plan's points and rehearse",
                    question.to[0],
                    URGENT_DAYS if any(r.rating == "U" for r in low) else LATER_DAYS,
                    f"question:{question.id}",
                )
            )
    owner = "district_office" if "district_office" in scenario.units else scenario.units[0]
    for rating in discussion.capability_ratings:
        if rating.rating in ("M", "U") and rating.capability is not None:
            items.append(
                item(
                    f"{scenario.capability_title(rating.capability)}：{rating.note or rating.rating}",
                    "制定能力提升措施并复训 plan how to build the capability and train again",
                    owner,
                    URGENT_DAYS if rating.rating == "U" else LATER_DAYS,
                    f"capability:{rating.capability}",
                )
            )
    return items


def _notes(result: QuestionResult) -> str:
    notes = [f"{r.rating} {r.note}".strip() for r in result.ratings if r.rating in ("M", "U")]
    return "；".join(notes)


def plan_csv(items: list[PlanItem]) -> str:
    """The plan as CSV (UTF-8 text, header row first), for a spreadsheet or a task tracker."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(IMPROVEMENT_PLAN_COLUMNS)
    for i in items:
        writer.writerow((i.issue, i.action, i.owner, i.owner_name, i.due.isoformat(), i.source, i.id, OPEN))
    return out.getvalue()


TRACKERS = ("drill_controller", "commander")
"""Who may update any item; an owner unit's users may update their own unit's items."""


def apply_tracking(
    plan: Sequence[Mapping[str, Any]], payload: Mapping[str, Any], at: datetime
) -> tuple[int, dict[str, Any]]:
    """Apply an UpdateImprovementItem payload to the plan: (the item's index, the item after); DrillCommandError."""
    wanted = payload.get("item_id")
    index = next((n for n, i in enumerate(plan) if (i.get("id") or item_id(n)) == wanted), None)
    if index is None:
        raise DrillCommandError(f"the improvement plan has no item {wanted!r}")
    item = {**plan[index], "id": plan[index].get("id") or item_id(index)}
    who = payload.get("requested_by")
    who = who if isinstance(who, Mapping) else {}
    roles = who.get("roles")
    if not (isinstance(roles, list) and any(r in TRACKERS for r in roles)) and who.get("unit") != item.get("owner"):
        raise DrillCommandError(
            f"{who.get('user') or 'the caller'} may not update item {item['id']} of {item.get('owner')}: "
            "a drill controller, a commander or the owner unit's users may"
        )
    status, note = payload.get("status"), payload.get("note") or ""
    if not isinstance(status, str) or not isinstance(note, str):
        raise DrillCommandError("payload.status and payload.note must be text")
    return index, track(item, status, note, str(who.get("user") or "unknown"), at)
