"""Response items: the planned steps of an incident, their progress and their escalation schedule."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from playbooks.json_types import JsonObject
from playbooks.planning import PlannedAction


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
    )


def due_escalations(items: dict[str, Item], *, now: datetime, interval: timedelta) -> list[tuple[Item, str]]:
    """Items whose next escalation step is due at `now`, each with the role it escalates to."""
    due = []
    for item in items.values():
        when = item.next_escalation_at(interval)
        if when is not None and when <= now:
            due.append((item, item.escalation[item.escalation_step]))
    return due


def next_deadline(items: dict[str, Item], interval: timedelta) -> datetime | None:
    """The earliest moment an item of the incident needs attention (for the deadline sweep)."""
    times = [t for t in (i.next_escalation_at(interval) for i in items.values()) if t is not None]
    return min(times) if times else None
