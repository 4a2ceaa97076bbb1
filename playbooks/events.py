"""Events of the incident aggregate, one frozen dataclass each.

An event's class name is its wire type name, and `to_data()` is its JSON `payload.event` on
`incident-events`: the projector, the exports, the live feed, the drill runner and other programs read it,
so each payload's keys are pinned by a test (tests/unit/domain/test_events.py).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from playbooks.assessment import Assessment
from playbooks.cases import Case
from playbooks.commands import Delivery, SignalValue
from playbooks.facts import Facts
from playbooks.json_types import JsonObject
from playbooks.levels import Level
from playbooks.public_info import Bulletin
from playbooks.response import Item
from playbooks.termination import TerminationStatus


@dataclass(frozen=True, kw_only=True)
class Event(ABC):
    """Something that happened to an incident, at `at`."""

    at: datetime

    @property
    def type(self) -> str:
        """The wire type name: the class name."""
        return type(self).__name__

    @abstractmethod
    def to_data(self) -> JsonObject:
        """The event's JSON payload (`payload.event` on the wire)."""


@dataclass(frozen=True, kw_only=True)
class IncidentOpened(Event):
    """A first report opened the incident under this playbook version and rule set."""

    report_id: str
    playbook_id: str
    playbook_version: str
    rule_set: str

    def to_data(self) -> JsonObject:
        """`report_id`, `playbook_id`, `playbook_version`, `rule_set`."""
        return {
            "report_id": self.report_id,
            "playbook_id": self.playbook_id,
            "playbook_version": self.playbook_version,
            "rule_set": self.rule_set,
        }


@dataclass(frozen=True, kw_only=True)
class ReportReceived(Event):
    """A report was attached; `superseded` when its source had already sent newer figures."""

    report_id: str
    source: str
    reported_at: datetime
    facts: Facts
    superseded: bool
    description: str
    cases: tuple[Case, ...] = ()
    """The listed persons whose entry this report added or replaced (the case list's change)."""

    def to_data(self) -> JsonObject:
        """`report_id`, `source`, `reported_at`, `facts`, `superseded`, `description`, `cases`."""
        return {
            "report_id": self.report_id,
            "source": self.source,
            "reported_at": self.reported_at.isoformat(),
            "facts": self.facts.to_mapping(),
            "superseded": self.superseded,
            "description": self.description,
            "cases": [case.to_dict() for case in self.cases],
        }


@dataclass(frozen=True, kw_only=True)
class LevelChanged(Event):
    """The level moved: by a rule (`decided_by` None) or by a person's decision with a reason."""

    from_level: Level
    to_level: Level
    rule_id: str | None
    explanation: str
    decided_by: str | None
    reason: str | None

    def to_data(self) -> JsonObject:
        """`from`, `to`, `rule_id`, `explanation`, `decided_by`, `reason`, `at` (also the level history entry)."""
        return {
            "from": self.from_level.value,
            "to": self.to_level.value,
            "rule_id": self.rule_id,
            "explanation": self.explanation,
            "decided_by": self.decided_by,
            "reason": self.reason,
            "at": self.at.isoformat(),
        }


@dataclass(frozen=True, kw_only=True)
class ActionsPlanned(Event):
    """New steps were planned; `cause` says why (facts, a level, termination)."""

    cause: str
    items: tuple[Item, ...]

    def to_data(self) -> JsonObject:
        """`cause`, `items` (each step's full JSON)."""
        return {"cause": self.cause, "items": [item.to_dict() for item in self.items]}


class ItemChange(StrEnum):
    """What happened to a step (the `change` of an ActionUpdated event)."""

    ACKNOWLEDGED = "acknowledged"
    COMPLETED = "completed"
    ESCALATED = "escalated"
    SUPERSEDED = "superseded"


@dataclass(frozen=True, kw_only=True)
class ActionUpdated(Event):
    """A step changed; `item` is the step afterwards (its history ends with this change).

    `result` comes with a completion; `to_role`, `step` and `overdue_by_seconds` with an escalation.
    """

    key: str
    change: ItemChange
    by: str | None
    item: Item
    result: str | None = None
    to_role: str | None = None
    step: int | None = None
    overdue_by_seconds: int | None = None

    def history_entry(self) -> JsonObject:
        """The entry this change adds to the step's history: `change`, `by`, `at`, and the change's details."""
        entry: JsonObject = {"change": self.change.value, "by": self.by, "at": self.at.isoformat()}
        details = {
            "result": self.result,
            "to_role": self.to_role,
            "step": self.step,
            "overdue_by_seconds": self.overdue_by_seconds,
        }
        entry.update({name: value for name, value in details.items() if value is not None})
        return entry

    def to_data(self) -> JsonObject:
        """The history entry, plus `key` and `item`."""
        return {**self.history_entry(), "key": self.key, "item": self.item.to_dict()}


@dataclass(frozen=True, kw_only=True)
class FactsVerified(Event):
    """A person's verified figures now override the aggregate."""

    facts: Facts
    by: str
    reason: str

    def to_data(self) -> JsonObject:
        """`facts`, `by`, `reason`, `at` (also the incident's `verified` record)."""
        return {"facts": self.facts.to_mapping(), "by": self.by, "reason": self.reason, "at": self.at.isoformat()}


@dataclass(frozen=True, kw_only=True)
class NoteAdded(Event):
    """A note on the timeline."""

    text: str
    by: str

    def to_data(self) -> JsonObject:
        """`text`, `by`."""
        return {"text": self.text, "by": self.by}


@dataclass(frozen=True, kw_only=True)
class TerminationSignalsUpdated(Event):
    """Inputs of the termination criteria changed."""

    signals: Mapping[str, SignalValue]
    by: str

    def to_data(self) -> JsonObject:
        """`signals` (as sent), `by`."""
        return {"signals": dict(self.signals), "by": self.by}


@dataclass(frozen=True, kw_only=True)
class TerminationProposed(Event):
    """Ending the response was proposed, by a person or (`by` None) because the playbook's criteria hold."""

    by: str | None
    reason: str
    criteria: TerminationStatus

    def to_data(self) -> JsonObject:
        """`by`, `reason`, `criteria`."""
        return {"by": self.by, "reason": self.reason, "criteria": self.criteria.to_dict()}


@dataclass(frozen=True, kw_only=True)
class IncidentClosed(Event):
    """A commander approved termination; the correlation key is free for a new incident."""

    by: str
    reason: str
    criteria: TerminationStatus
    correlation_key: str

    def to_data(self) -> JsonObject:
        """`by`, `reason`, `criteria`, `correlation_key`."""
        return {
            "by": self.by,
            "reason": self.reason,
            "criteria": self.criteria.to_dict(),
            "correlation_key": self.correlation_key,
        }


@dataclass(frozen=True, kw_only=True)
class NotificationSent(Event):
    """A message reached its recipient (or the exercise sink)."""

    delivery: Delivery

    def to_data(self) -> JsonObject:
        """The notifier's delivery record."""
        return self.delivery.to_data()


@dataclass(frozen=True, kw_only=True)
class NotificationFailed(Event):
    """A message finally failed, or its outcome is in doubt; `reason` says why."""

    delivery: Delivery

    def to_data(self) -> JsonObject:
        """The notifier's delivery record."""
        return self.delivery.to_data()


@dataclass(frozen=True, kw_only=True)
class CommandRejected(Event):
    """A command did not apply (it did not fit, the incident's state refused it, or the actor may not)."""

    command_id: str
    command: str
    reason: str
    by: str | None

    def to_data(self) -> JsonObject:
        """`command_id`, `command` (its type), `reason`, `by`."""
        return {"command_id": self.command_id, "command": self.command, "reason": self.reason, "by": self.by}


@dataclass(frozen=True, kw_only=True)
class PublicInfoEvent(Event):
    """Something happened to a bulletin (public information, a refutation or a warning); `bulletin` is it afterwards."""

    bulletin: Bulletin
    by: str | None

    def bulletin_data(self) -> JsonObject:
        """`draft_id`, `by`, `state`, `bulletin` (its full JSON): the keys every PublicInfo* event has."""
        return {
            "draft_id": self.bulletin.id,
            "by": self.by,
            "state": self.bulletin.state.value,
            "bulletin": self.bulletin.to_dict(),
        }

    def to_data(self) -> JsonObject:
        """The bulletin's keys (subclasses add their own)."""
        return self.bulletin_data()


@dataclass(frozen=True, kw_only=True)
class PublicInfoDrafted(PublicInfoEvent):
    """A draft was written: by a person, for a `public_info` step (`by` None), or as the Cancel of a publication."""

    cause: str

    def to_data(self) -> JsonObject:
        """The bulletin's keys and `cause` (`person`, `step <key>`, `withdraw <id>`)."""
        return {**self.bulletin_data(), "cause": self.cause}


@dataclass(frozen=True, kw_only=True)
class PublicInfoEdited(PublicInfoEvent):
    """A person changed a draft."""

    fields: tuple[str, ...]

    def to_data(self) -> JsonObject:
        """The bulletin's keys and `fields` (the names changed)."""
        return {**self.bulletin_data(), "fields": list(self.fields)}


@dataclass(frozen=True, kw_only=True)
class PublicInfoApproved(PublicInfoEvent):
    """A person with the publicity or commander role approved a draft: the notifier publishes it."""

    note: str = ""
    referenced: tuple[Bulletin, ...] = ()
    """The publications an Update or Cancel refers to (their CAP identifiers and times go in `references`)."""

    def to_data(self) -> JsonObject:
        """The bulletin's keys, `note` and `referenced` (each referred-to bulletin's full JSON)."""
        return {**self.bulletin_data(), "note": self.note, "referenced": [b.to_dict() for b in self.referenced]}


@dataclass(frozen=True, kw_only=True)
class PublicInfoPublished(PublicInfoEvent):
    """An approved bulletin is on its CAP feed (the notifier's record came back)."""


@dataclass(frozen=True, kw_only=True)
class PublicInfoWithdrawn(PublicInfoEvent):
    """A draft was discarded, or a publication withdrawn by its published Cancel."""

    reason: str

    def to_data(self) -> JsonObject:
        """The bulletin's keys and `reason`."""
        return {**self.bulletin_data(), "reason": self.reason}


@dataclass(frozen=True, kw_only=True)
class AssessmentRecorded(Event):
    """The expert group's assessment (专家组研判) was recorded."""

    assessment: Assessment

    def to_data(self) -> JsonObject:
        """The assessment: `id`, `experts`, `conclusion`, `recommendation`, `level`, `assessed_at`, `recorded_by`,
        `recorded_at`."""
        return self.assessment.to_dict()


@dataclass(frozen=True, kw_only=True)
class WarningIssued(Event):
    """A warning on its own (not an incident's) was issued: its hazard, area and basis; its bulletin follows."""

    warning_id: str
    hazard: str
    areas: tuple[str, ...]
    basis: str
    incident_type: str
    by: str
    mode: str = "actual"
    exercise_id: str | None = None

    def to_data(self) -> JsonObject:
        """`warning_id`, `hazard`, `areas`, `basis`, `incident_type`, `by`, `mode`, `exercise_id`."""
        return {
            "warning_id": self.warning_id,
            "hazard": self.hazard,
            "areas": list(self.areas),
            "basis": self.basis,
            "incident_type": self.incident_type,
            "by": self.by,
            "mode": self.mode,
            "exercise_id": self.exercise_id,
        }


EVENT_CLASSES: tuple[type[Event], ...] = (
    IncidentOpened,
    ReportReceived,
    LevelChanged,
    ActionsPlanned,
    ActionUpdated,
    FactsVerified,
    NoteAdded,
    TerminationSignalsUpdated,
    TerminationProposed,
    IncidentClosed,
    NotificationSent,
    NotificationFailed,
    CommandRejected,
    PublicInfoDrafted,
    PublicInfoEdited,
    PublicInfoApproved,
    PublicInfoPublished,
    PublicInfoWithdrawn,
    AssessmentRecorded,
    WarningIssued,
)
"""Every event of the incident aggregate (the wire contract maps each to an `EventType`)."""
