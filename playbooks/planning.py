"""Response planning: a level's steps whose conditions hold, with due times from the time passed in.

A step's key is its id in the playbook, the same at every level: a level inherits the steps of the
levels below it, so raising IV → II never plans a second "medical_treatment". A step whose deadline
tightens at a higher level is a distinct step that `supersedes` the lower one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from string import Template

from playbooks.conditions import fact_env, render
from playbooks.duration import WEEKDAYS, CalendarRangeError, Duration, WorkingCalendar
from playbooks.facts import Facts
from playbooks.json_types import JsonObject
from playbooks.levels import Level
from playbooks.model import ActionSpec, Playbook


@dataclass(frozen=True)
class PlannedAction:
    """One step to carry out: who owns it, to whom it goes, and when it is due."""

    key: str
    kind: str
    title: str
    owner: str
    due_at: datetime
    deadline: timedelta
    deadline_text: str
    relative_to: str
    escalation: tuple[str, ...]
    level: Level
    recipients: tuple[str, ...] = ()
    group: str | None = None
    message: str = ""
    supersedes: tuple[str, ...] = ()
    repeat: str | None = None
    """A recurring step's period as written (`24h`); the next occurrence is planned when this one's ends."""
    warning: str = ""
    """Why the due time is approximate (a working-day calendar that does not know the year)."""

    def to_dict(self) -> JsonObject:
        """JSON-ready form (times ISO-8601, deadline in seconds and as written in the playbook)."""
        return {
            "key": self.key,
            "kind": self.kind,
            "title": self.title,
            "owner": self.owner,
            "recipients": list(self.recipients),
            "due_at": self.due_at.isoformat(),
            "deadline_seconds": int(self.deadline.total_seconds()),
            "deadline": self.deadline_text,
            "relative_to": self.relative_to,
            "escalation": list(self.escalation),
            "level": self.level.value,
            "group": self.group,
            "message": self.message,
            "supersedes": list(self.supersedes),
            "repeat": self.repeat,
            "warning": self.warning,
        }


def plan_response(
    playbook: Playbook,
    level: Level,
    *,
    facts: Facts,
    venue_type: str | None,
    activated_at: datetime,
    first_report_at: datetime,
) -> tuple[PlannedAction, ...]:
    """The steps of `level` (and the levels below it) whose conditions hold, ordered by due time.

    Below every level, the playbook's `non_graded` plan (if it has one) is the minimal response; each
    graded level inherits it and adds only its own steps.
    """
    anchors = {"activation": activated_at, "first_report": first_report_at}
    specs = [a for plan in playbook.plan_levels(level) for a in plan.actions]
    return _plan(playbook, specs, level, facts, venue_type, anchors)


def plan_additions(  # noqa: PLR0913 - the planning facts, keyword-only
    playbook: Playbook,
    level: Level,
    *,
    running: Iterable[str],
    facts: Facts,
    venue_type: str | None,
    now: datetime,
    first_report_at: datetime,
) -> tuple[PlannedAction, ...]:
    """Steps of `level` not yet running (after a raise, or when a condition such as crime_suspected turns true)."""
    have = set(running)
    replaced = replaced_by(playbook, have)
    planned = plan_response(
        playbook, level, facts=facts, venue_type=venue_type, activated_at=now, first_report_at=first_report_at
    )
    return tuple(a for a in planned if a.key not in have and a.key not in replaced)


def plan_post_incident(
    playbook: Playbook, level: Level, *, facts: Facts, venue_type: str | None, terminated_at: datetime
) -> tuple[PlannedAction, ...]:
    """The after-response steps (summary, costs, compensation...) due relative to termination."""
    return _plan(playbook, playbook.after_response, level, facts, venue_type, {"termination": terminated_at})


def replaced_by(playbook: Playbook, keys: Iterable[str]) -> set[str]:
    """Keys of the steps that the steps `keys` supersede, directly or through the steps they replace."""
    graph = {spec.id: spec.supersedes for spec in playbook.all_actions()}
    found: set[str] = set()
    stack = [old for key in keys for old in graph.get(key, ())]
    while stack:
        key = stack.pop()
        if key not in found:
            found.add(key)
            stack.extend(graph.get(key, ()))
    return found


def _plan(
    playbook: Playbook,
    specs: Iterable[ActionSpec],
    level: Level,
    facts: Facts,
    venue_type: str | None,
    anchors: Mapping[str, datetime],
) -> tuple[PlannedAction, ...]:
    env = fact_env(facts, venue_type, playbook.facts)
    values = {name.replace(".", "_"): render(v) for name, v in env.items() if v is not None}
    values.update(level=level.value, level_name=level.label, title=playbook.title, playbook=playbook.id)
    chosen = [s for s in specs if s.when is None or s.when.evaluate(env).holds]
    planned = [_planned(s, level, anchors[s.relative_to], values, playbook.calendar) for s in chosen]
    dropped = replaced_by(playbook, (a.key for a in planned))
    kept = [a for a in planned if a.key not in dropped]
    return tuple(sorted(kept, key=lambda a: (a.due_at, a.key)))


def due_after(duration: Duration, start: datetime, calendar: WorkingCalendar) -> tuple[datetime, str]:
    """When `duration` after `start` ends on `calendar`, and a warning when the calendar does not know the year.

    Past the calendar's last known year the step is still planned (a step is never dropped): its working days
    are counted Monday to Friday, and the warning names the year and what to do.
    """
    try:
        return duration.after(start, calendar), ""
    except CalendarRangeError as error:
        return duration.after(start, WEEKDAYS), f"deadline counted Monday–Friday only: {error}"


def _planned(
    spec: ActionSpec, level: Level, anchor: datetime, values: Mapping[str, str], calendar: WorkingCalendar
) -> PlannedAction:
    due, warning = due_after(spec.deadline, anchor, calendar)
    return PlannedAction(
        key=spec.id,
        kind=spec.kind,
        title=spec.title,
        owner=spec.owner,
        due_at=due,
        deadline=due - anchor,
        deadline_text=str(spec.deadline),
        relative_to=spec.relative_to,
        escalation=spec.escalation,
        level=spec.level or level,
        recipients=spec.recipients or (spec.owner,),
        group=spec.group,
        message=Template(spec.message).safe_substitute(values),
        supersedes=spec.supersedes,
        repeat=str(spec.repeat) if spec.repeat is not None else None,
        warning=warning,
    )
