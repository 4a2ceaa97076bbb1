"""Response items: the planned steps of an incident, their progress and their escalation schedule."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from playbooks.duration import WorkingCalendar, parse_duration
from playbooks.json_types import JsonObject
from playbooks.planning import PlannedAction, due_after


class ItemStatus(StrEnum):
    """Where a planned step stands (its wire string is the value)."""

    PENDING = "pending"
    ACKNOWLEDGED = "acknowledged"
    COMPLETED = "completed"
    SUPERSEDED = "superseded"


ITEM_TRANSITIONS: dict[ItemStatus, frozenset[ItemStatus]] = {
    ItemStatus.PENDING: frozenset({ItemStatus.ACKNOWLEDGED, ItemStatus.COMPLETED, ItemStatus.SUPERSEDED}),
    ItemStatus.ACKNOWLEDGED: frozenset({ItemStatus.COMPLETED, ItemStatus.SUPERSEDED}),
    ItemStatus.COMPLETED: frozenset(),
    ItemStatus.SUPERSEDED: frozenset(),
}
"""Allowed status changes of an item. Overdue is not a status: it is derived from the clock."""

DONE_WHEN = {"notify": frozenset({ItemStatus.ACKNOWLEDGED, ItemStatus.COMPLETED, ItemStatus.SUPERSEDED})}
"""An alert is done once acknowledged; every other kind of step is done when completed (or superseded)."""
DEFAULT_DONE = frozenset({ItemStatus.COMPLETED, ItemStatus.SUPERSEDED})

OCCURRENCE_MARK = "#"
"""Separates a recurring step's id from its occurrence number in an item key (`progress_report#2`)."""
MAX_CATCH_UP = 366
"""At most this many missed occurrences of one series are planned by one check (a clock that jumped ahead)."""

DEFAULT_ESCALATION_INTERVAL = timedelta(minutes=30)
"""Time between escalation steps of an overdue item when the playbook sets no `escalation_interval`."""


class ItemTransitionError(ValueError):
    """An item status change the table does not allow."""


@dataclass(frozen=True)
class Item:
    """A planned step on an incident: what, who, by when, and how far it has been escalated."""

    key: str
    kind: str
    title: str
    owner: str
    due_at: datetime
    deadline: str
    planned_at: datetime
    level: str
    escalation: tuple[str, ...] = ()
    recipients: tuple[str, ...] = ()
    group: str | None = None
    message: str = ""
    relative_to: str = "activation"
    status: ItemStatus = ItemStatus.PENDING
    escalation_step: int = 0
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    completed_at: datetime | None = None
    completed_by: str | None = None
    result: str = ""
    history: tuple[JsonObject, ...] = field(default_factory=tuple)
    repeat: str | None = None
    """A recurring step's period (`24h`): occurrence n+1 (key `<id>#<n+1>`) is planned when this one is due."""
    occurrence: int = 1
    warning: str = ""
    """Why the due time is approximate (a working-day calendar that does not know the year)."""

    @property
    def series(self) -> str:
        """The step's id in the playbook: the key without its occurrence (`progress_report#3` -> `progress_report`)."""
        return self.key.partition(OCCURRENCE_MARK)[0]

    @property
    def done(self) -> bool:
        """True when nothing more is expected of this item."""
        return self.status in DONE_WHEN.get(self.kind, DEFAULT_DONE)

    def overdue(self, now: datetime) -> bool:
        """True when the item is not done and its deadline has passed."""
        return not self.done and now > self.due_at

    def next_escalation_at(self, interval: timedelta) -> datetime | None:
        """When the next escalation step is due, or None if the item is done or the chain is used up."""
        if self.done or self.escalation_step >= len(self.escalation):
            return None
        return self.due_at + interval * self.escalation_step

    def moved(self, status: ItemStatus) -> Item:
        """This item in `status`, if the transition table allows it."""
        if status == self.status:
            return self
        if status not in ITEM_TRANSITIONS[self.status]:
            raise ItemTransitionError(f"step {self.key!r} is {self.status}; it cannot become {status}")
        return replace(self, status=status)

    def to_dict(self) -> JsonObject:
        """JSON-ready form."""
        data: JsonObject = {
            "key": self.key,
            "kind": self.kind,
            "title": self.title,
            "owner": self.owner,
            "due_at": self.due_at.isoformat(),
            "deadline": self.deadline,
            "planned_at": self.planned_at.isoformat(),
            "level": self.level,
            "escalation": list(self.escalation),
            "recipients": list(self.recipients),
            "group": self.group,
            "message": self.message,
            "relative_to": self.relative_to,
            "status": self.status.value,
            "escalation_step": self.escalation_step,
            "acknowledged_by": self.acknowledged_by,
            "completed_by": self.completed_by,
            "result": self.result,
            "history": list(self.history),
            "acknowledged_at": self.acknowledged_at.isoformat() if self.acknowledged_at else None,
            "completed_at": self.completed_at.isoformat() if self.completed_at else None,
            "repeat": self.repeat,
            "occurrence": self.occurrence,
            "warning": self.warning,
        }
        return data

    @classmethod
    def from_dict(cls, data: JsonObject) -> Item:
        """Rebuild an item from `to_dict` output."""
        fields_ = dict(data)
        fields_["status"] = ItemStatus(data.get("status") or ItemStatus.PENDING)
        for key in ("due_at", "planned_at", "acknowledged_at", "completed_at"):
            fields_[key] = datetime.fromisoformat(data[key]) if data.get(key) else None
        for key in ("escalation", "recipients", "history"):
            fields_[key] = tuple(data.get(key) or ())
        return cls(**fields_)


def item_from_plan(action: PlannedAction, *, now: datetime) -> Item:
    """A new pending item for a planned action."""
    return Item(
        key=action.key,
        kind=action.kind,
        title=action.title,
        owner=action.owner,
        due_at=action.due_at,
        deadline=action.deadline_text,
        planned_at=now,
        level=action.level.value,
        escalation=action.escalation,
        recipients=action.recipients,
        group=action.group,
        message=action.message,
        relative_to=action.relative_to,
        repeat=action.repeat,
        warning=action.warning,
    )


def due_escalations(items: dict[str, Item], *, now: datetime, interval: timedelta) -> list[tuple[Item, str]]:
    """Items whose next escalation step is due at `now`, each with the role it escalates to."""
    due = []
    for item in items.values():
        when = item.next_escalation_at(interval)
        if when is not None and when <= now:
            due.append((item, item.escalation[item.escalation_step]))
    return due


def latest_occurrences(items: dict[str, Item]) -> list[Item]:
    """The newest occurrence of each recurring step that still recurs (a superseded series stops)."""
    latest: dict[str, Item] = {}
    for item in items.values():
        if item.repeat and (item.series not in latest or item.occurrence > latest[item.series].occurrence):
            latest[item.series] = item
    return [item for item in latest.values() if item.status is not ItemStatus.SUPERSEDED]


def due_recurrences(items: dict[str, Item], *, now: datetime, calendar: WorkingCalendar) -> list[Item]:
    """The next occurrences of recurring steps whose current occurrence is due at `now`, as new pending items.

    Occurrence n+1 is planned when occurrence n falls due and is due one period (`repeat`) later; each is its
    own item, acknowledged, completed and escalated on its own. The caller stops asking once the response ends.
    """
    fresh: list[Item] = []
    for item in latest_occurrences(items):
        current = item
        while current.due_at <= now and len(fresh) < MAX_CATCH_UP and current.repeat:
            due, warning = due_after(parse_duration(current.repeat), current.due_at, calendar)
            number = current.occurrence + 1
            current = Item(
                key=f"{item.series}{OCCURRENCE_MARK}{number}",
                kind=item.kind,
                title=item.title,
                owner=item.owner,
                due_at=due,
                deadline=item.repeat or item.deadline,
                planned_at=now,
                level=item.level,
                escalation=item.escalation,
                recipients=item.recipients,
                group=item.group,
                message=item.message,
                relative_to=item.relative_to,
                repeat=item.repeat,
                occurrence=number,
                warning=warning,
            )
            fresh.append(current)
    return fresh


def next_deadline(items: dict[str, Item], interval: timedelta, *, recurring: bool = True) -> datetime | None:
    """The earliest moment an item of the incident needs attention (for the deadline sweep).

    With `recurring` (the response is running), the due time of each recurring step's newest occurrence
    counts too: the next occurrence is planned then.
    """
    times = [t for t in (i.next_escalation_at(interval) for i in items.values()) if t is not None]
    if recurring:
        times.extend(item.due_at for item in latest_occurrences(items))
    return min(times) if times else None
