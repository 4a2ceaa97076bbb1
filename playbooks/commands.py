"""Commands to the incident aggregate, one frozen dataclass each, and who sends them.

The wire contract (`infra/wire/incident.py`) turns an envelope into one of these once; the handlers
(`playbooks/handlers.py`) take them typed. A command's class name is its wire type name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from playbooks.assessment import Recommendation
from playbooks.facts import Facts
from playbooks.json_types import JsonObject, JsonValue
from playbooks.levels import Level
from playbooks.public_info import BulletinEdit, BulletinKind, WarningLevel
from playbooks.report import Report


class Role(StrEnum):
    """The roles the domain's rules check; the same strings as the API's users (infra/db/users.py ROLES)."""

    DUTY_OFFICER = "duty_officer"
    COMMANDER = "commander"
    UNIT_RESPONDER = "unit_responder"
    DRILL_CONTROLLER = "drill_controller"
    OBSERVER = "observer"
    PUBLICITY = "publicity"
    """The publicity department (宣传部): drafts, edits and approves public information and warnings."""
    EVALUATOR = "evaluator"
    """An exercise evaluator: rates a tabletop exercise's answers (docs/adr/0029); no incident command is theirs."""


WIDE_ROLES = frozenset({Role.DUTY_OFFICER, Role.COMMANDER, Role.DRILL_CONTROLLER, Role.OBSERVER, Role.PUBLICITY})
"""Roles that act district-wide; a unit responder without one of them acts only for their unit."""


@dataclass(frozen=True)
class Actor:
    """Who sent a command: a person's name, their roles, and the unit they act for."""

    user: str
    roles: frozenset[str] = frozenset()
    unit: str | None = None

    def has(self, role: Role) -> bool:
        """True when the actor holds `role`."""
        return role in self.roles

    @property
    def unit_scoped(self) -> bool:
        """True when the actor acts only for their own unit (a unit responder with no district-wide role)."""
        return self.has(Role.UNIT_RESPONDER) and not self.roles & WIDE_ROLES

    @property
    def person(self) -> str | None:
        """The person's name for the timeline, or None for the platform itself."""
        return None if self == SYSTEM else self.user

    def describe(self) -> str:
        """`name (role, role)`, for a refusal a person can act on."""
        roles = ", ".join(sorted(self.roles)) or "no role"
        return f"{self.user} ({roles})"


SYSTEM = Actor("system")
"""The platform's own commands (reports, the deadline sweep, delivery records) and commands with no actor."""


@dataclass(frozen=True, kw_only=True)
class Command:
    """A request to change one incident; a handler applies it or refuses it with a reason."""


@dataclass(frozen=True, kw_only=True)
class PersonCommand(Command):
    """A command a person sends through the API; the writer re-checks the actor's roles."""

    actor: Actor


@dataclass(frozen=True, kw_only=True)
class ReceiveReport(Command):
    """Attach a report to the incident (opening it if it is new), regrade, and plan."""

    report: Report


@dataclass(frozen=True, kw_only=True)
class AcknowledgeAlert(PersonCommand):
    """A recipient acknowledges an alert (a `notify` step); its escalation stops."""

    action_key: str


@dataclass(frozen=True, kw_only=True)
class AcknowledgeTask(PersonCommand):
    """The owning unit (or the duty office for it) acknowledges a task order."""

    action_key: str
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class CompleteTask(PersonCommand):
    """The owning unit reports a step done; `result` says what was done."""

    action_key: str
    result: str = ""


@dataclass(frozen=True, kw_only=True)
class DecideLevel(PersonCommand):
    """Raise or lower the level with a reason; only a commander lowers it."""

    level: Level
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class SetVerifiedFacts(PersonCommand):
    """Verified figures override the aggregate; who and why are recorded."""

    facts: Facts
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class AddNote(PersonCommand):
    """A note on the timeline."""

    text: str


SignalValue = bool | str | int | float | None
"""A termination signal: a confirmation (bool), a moment (ISO-8601 text), or a figure."""


@dataclass(frozen=True, kw_only=True)
class UpdateTerminationSignals(PersonCommand):
    """Inputs of the termination criteria (site controlled, patients stable since...)."""

    signals: Mapping[str, SignalValue]


@dataclass(frozen=True, kw_only=True)
class ProposeTermination(PersonCommand):
    """Propose ending the response; the criteria are checked and shown."""

    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class ApproveTermination(PersonCommand):
    """A commander approves ending the response: the incident closes."""

    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class DraftPublicInfo(PersonCommand):
    """Draft public information, a rumour refutation or a warning (an `Update` when `updates` names a publication).

    Fields the person leaves empty come from the playbook's template.
    """

    draft_id: str
    kind: BulletinKind
    edit: BulletinEdit = field(default_factory=BulletinEdit)
    updates: str | None = None
    rumour: str = ""


@dataclass(frozen=True, kw_only=True)
class EditPublicInfo(PersonCommand):
    """Change a draft's text, area or CAP fields (publicity or commander)."""

    draft_id: str
    edit: BulletinEdit


@dataclass(frozen=True, kw_only=True)
class ApprovePublicInfo(PersonCommand):
    """Approve a draft for publication (publicity or commander); the notifier then publishes it."""

    draft_id: str
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class WithdrawPublicInfo(PersonCommand):
    """Discard a draft, or draft the `Cancel` of a publication (publicity or commander), with a reason."""

    draft_id: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class IssueWarning(PersonCommand):
    """Issue a warning (预警) on its own, not from an incident: its first draft, approved like any bulletin.

    `warning_id` names the new warning (`WRN-...`); `incident_type` picks the playbook whose templates and CAP
    fields it is written with; `basis` says why (e.g. a sampling trend). Empty texts come from the template.
    """

    warning_id: str
    incident_type: str
    hazard: str
    warning_level: WarningLevel
    areas: tuple[str, ...]
    admin_code: str | None = None
    basis: str = ""
    edit: BulletinEdit = field(default_factory=BulletinEdit)


@dataclass(frozen=True, kw_only=True)
class RecordAssessment(PersonCommand):
    """Record the expert group's assessment (专家组研判): who, conclusion, recommendation, when."""

    experts: tuple[str, ...]
    conclusion: str
    recommendation: Recommendation
    level: Level | None = None
    assessed_at: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class CheckDeadlines(Command):
    """From the deadline sweep: escalate overdue steps; `now` is when the sweep asked (the writer's clock rules)."""

    now: datetime | None = None


DELIVERED = frozenset({"delivered", "diverted_to_exercise_sink"})
"""Delivery statuses that reached someone (the exercise sink counts: a drill must never page outside)."""


@dataclass(frozen=True, kw_only=True)
class Delivery:
    """The notifier's record of one delivery (or its final failure), as the timeline shows it."""

    idempotency_key: str
    action_key: str
    status: str
    recipient_id: str = ""
    recipient_name: str = ""
    channel: str = ""
    routed_to: str = ""
    reason: str | None = None
    subject: str = ""
    attempts: tuple[JsonObject, ...] = ()  # JSON boundary: the channel's attempt log, shown as it came
    replayed: bool = False
    extra: Mapping[str, JsonValue] = field(default_factory=dict)  # JSON boundary: fields a newer notifier adds

    @property
    def delivered(self) -> bool:
        """True when the message reached its recipient (or the exercise sink)."""
        return self.status in DELIVERED

    def to_data(self) -> JsonObject:
        """The record as the notifier wrote it (`replayed` only when true; unknown fields kept)."""
        data: JsonObject = {
            "idempotency_key": self.idempotency_key,
            "action_key": self.action_key,
            "recipient_id": self.recipient_id,
            "recipient_name": self.recipient_name,
            "channel": self.channel,
            "routed_to": self.routed_to,
            "status": self.status,
            "reason": self.reason,
            "subject": self.subject,
            "attempts": [dict(a) for a in self.attempts],
        }
        if self.replayed:
            data["replayed"] = True
        return {**dict(self.extra), **data}


@dataclass(frozen=True, kw_only=True)
class RecordDelivery(Command):
    """Put the notifier's deliveries (or their final failures) on the timeline."""

    deliveries: tuple[Delivery, ...]
