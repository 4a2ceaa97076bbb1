"""The incident writer's wire contract: command envelopes to typed domain commands, domain events to envelopes.

`command_from_envelope` is the one place a command's JSON payload becomes a `playbooks.commands` dataclass;
a payload that does not fit raises `WireError` naming the command, the field and the value
(`DecideLevel: payload.level: 'V' is not a level ...`). `event_envelope` builds the event envelope of
`incident-events` exactly as docs/messages.md describes it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import fields, replace
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from pydantic import ValidationError

from infra.wire.envelope import Envelope, Payload, WireError, stable_id
from infra.wire.report import FactsIn, ReportIn, describe_errors
from infra.wire.types import CommandType, EventType
from playbooks.assessment import Recommendation
from playbooks.commands import (
    SYSTEM,
    AcknowledgeAlert,
    AcknowledgeTask,
    Actor,
    AddNote,
    ApprovePublicInfo,
    ApproveTermination,
    CheckDeadlines,
    Command,
    CompleteTask,
    DecideLevel,
    Delivery,
    DraftPublicInfo,
    EditPublicInfo,
    IssueWarning,
    PersonCommand,
    ProposeTermination,
    ReceiveReport,
    RecordAssessment,
    RecordDelivery,
    SetVerifiedFacts,
    SignalValue,
    UpdateTerminationSignals,
    WithdrawPublicInfo,
)
from playbooks.events import Event
from playbooks.facts import Facts
from playbooks.incident import Incident
from playbooks.levels import Level
from playbooks.public_info import BulletinEdit, BulletinKind, WarningLevel
from playbooks.report import Report

_SIGNAL_TYPES = (bool, str, int, float, type(None))
_EDIT_TEXTS = ("headline", "description", "instruction", "urgency", "severity", "certainty", "hazard")
"""The text fields of a bulletin edit (DraftPublicInfo, EditPublicInfo); absent or null leaves a field as it is."""
E = TypeVar("E", bound=StrEnum)
_DELIVERY_KNOWN = frozenset(f.name for f in fields(Delivery)) - {"extra"}
AnyCommand = TypeVar("AnyCommand", bound=Command)


class _Fields:
    """Reads one object of a payload, raising WireError that names the command and the field's path."""

    def __init__(self, command: str, data: Mapping[str, Any], path: str = "payload") -> None:
        self.command, self.data, self.path = command, data, path

    def fail(self, name: str, problem: str) -> WireError:
        """A WireError for field `name` of this object."""
        return WireError(f"{self.command}: {self.path}.{name}: {problem}")

    def text(self, name: str, *, required: bool = False) -> str:
        """A string field; absent or null is '' unless `required` (then it must be a non-empty string)."""
        value = self.data.get(name)
        if value is None and not required:
            return ""
        if not isinstance(value, str) or (required and not value.strip()):
            raise self.fail(name, f"{value!r} is not a {'non-empty ' if required else ''}string")
        return value

    def optional_text(self, name: str) -> str | None:
        """A string field that may be absent or null."""
        value = self.data.get(name)
        if value is not None and not isinstance(value, str):
            raise self.fail(name, f"{value!r} is not a string or null")
        return value

    def obj(self, name: str) -> Mapping[str, Any]:
        """An object field (required)."""
        value = self.data.get(name)
        if not isinstance(value, Mapping):
            raise self.fail(name, f"{value!r} is not an object")
        return value

    def nested(self, name: str) -> _Fields:
        """A reader of the object field `name`."""
        return _Fields(self.command, self.obj(name), f"{self.path}.{name}")

    def actor(self) -> Actor:
        """`actor: {user, roles, unit}`; no actor at all is the platform itself (it holds no role)."""
        if self.data.get("actor") is None:
            return SYSTEM
        actor = self.nested("actor")
        roles = actor.data.get("roles")
        if roles is None:
            roles = []
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise actor.fail("roles", f"{roles!r} is not a list of role names")
        return Actor(actor.text("user", required=True), frozenset(roles), actor.optional_text("unit"))

    def level(self, name: str) -> Level:
        """A response level: I, II, III, IV or non_graded."""
        value = self.data.get(name)
        try:
            if isinstance(value, str):
                return Level.parse(value)
        except ValueError:
            pass
        raise self.fail(name, f"{value!r} is not a level (I, II, III, IV or non_graded)")

    def facts(self, name: str) -> Facts:
        """A report's `facts` object, validated as a report's."""
        try:
            checked = FactsIn.model_validate(self.obj(name))
        except ValidationError as exc:
            raise self.fail(name, describe_errors(exc)) from exc
        return Facts.from_mapping(checked.model_dump())

    def signals(self, name: str) -> dict[str, SignalValue]:
        """Termination signals: an object of booleans, ISO times, numbers or nulls."""
        signals = self.obj(name)
        for key, value in signals.items():
            if not isinstance(value, _SIGNAL_TYPES):
                raise self.fail(f"{name}.{key}", f"{value!r} is not a boolean, text, number or null")
        return {str(k): v for k, v in signals.items()}

    def moment(self, name: str) -> datetime | None:
        """An optional ISO-8601 time."""
        value = self.optional_text(name)
        if value is None:
            return None
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            raise self.fail(name, f"{value!r} is not an ISO-8601 time") from None

    def texts(self, name: str, *, required: bool = False) -> tuple[str, ...] | None:
        """A list of strings; absent or null is None unless `required`."""
        value = self.data.get(name)
        if value is None and not required:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(name, f"{value!r} is not a list of strings")
        return tuple(value)

    def choice(self, name: str, enum: type[E]) -> E:
        """One of an enumeration's values."""
        value = self.data.get(name)
        for member in enum:
            if value == member.value:
                return member
        raise self.fail(name, f"{value!r} is not one of {', '.join(m.value for m in enum)}")

    def optional_choice(self, name: str, enum: type[E]) -> E | None:
        """One of an enumeration's values, or None when absent or null."""
        return None if self.data.get(name) is None else self.choice(name, enum)

    def optional_level(self, name: str) -> Level | None:
        """A response level, or None when absent or null."""
        return None if self.data.get(name) is None else self.level(name)

    def bulletin_edit(self) -> BulletinEdit:
        """The bulletin fields a person set: texts, `areas`, `warning_level`."""
        texts = {name: self.optional_text(name) for name in _EDIT_TEXTS}
        return BulletinEdit(
            **texts,
            areas=self.texts("areas"),
            warning_level=self.optional_choice("warning_level", WarningLevel),
        )

    def delivery(self) -> Delivery:
        """This object as the notifier's delivery record."""
        attempts = self.data.get("attempts")
        if attempts is None:
            attempts = []
        if not isinstance(attempts, list) or not all(isinstance(a, Mapping) for a in attempts):
            raise self.fail("attempts", f"{attempts!r} is not a list of objects")
        replayed = self.data.get("replayed", False)
        if not isinstance(replayed, bool):
            raise self.fail("replayed", f"{replayed!r} is not true or false")
        return Delivery(
            idempotency_key=self.text("idempotency_key", required=True),
            action_key=self.text("action_key"),
            status=self.text("status", required=True),
            reason=self.optional_text("reason"),
            attempts=tuple(dict(a) for a in attempts),
            replayed=replayed,
            extra={k: v for k, v in self.data.items() if k not in _DELIVERY_KNOWN},
            recipient_id=self.text("recipient_id"),
            recipient_name=self.text("recipient_name"),
            channel=self.text("channel"),
            routed_to=self.text("routed_to"),
            subject=self.text("subject"),
        )

    def deliveries(self) -> tuple[Delivery, ...]:
        """`deliveries: [record, ...]`, or the payload itself as one record (the older form)."""
        if "deliveries" not in self.data:
            return (self.delivery(),)
        records = self.data["deliveries"]
        if not isinstance(records, list):
            raise self.fail("deliveries", f"{records!r} is not a list")
        found = []
        for number, record in enumerate(records):
            if not isinstance(record, Mapping):
                raise self.fail(f"deliveries[{number}]", f"{record!r} is not an object")
            found.append(_Fields(self.command, record, f"{self.path}.deliveries[{number}]").delivery())
        return tuple(found)

    def report(self) -> Report:
        """The payload as a report (DESIGN.md §3), validated as the intake validates it."""
        try:
            return ReportIn.model_validate(dict(self.data)).to_domain()
        except ValidationError as exc:
            raise WireError(f"{self.command}: {self.path}: {describe_errors(exc)}") from exc


def _receive_report(p: _Fields) -> Command:
    return ReceiveReport(report=p.report())


def _acknowledge_alert(p: _Fields) -> Command:
    return AcknowledgeAlert(action_key=p.text("action_key", required=True), actor=p.actor())


def _acknowledge_task(p: _Fields) -> Command:
    return AcknowledgeTask(action_key=p.text("action_key", required=True), note=p.text("note"), actor=p.actor())


def _complete_task(p: _Fields) -> Command:
    return CompleteTask(action_key=p.text("action_key", required=True), result=p.text("result"), actor=p.actor())


def _decide_level(p: _Fields) -> Command:
    return DecideLevel(level=p.level("level"), reason=p.text("reason"), actor=p.actor())


def _set_verified_facts(p: _Fields) -> Command:
    return SetVerifiedFacts(facts=p.facts("facts"), reason=p.text("reason"), actor=p.actor())


def _add_note(p: _Fields) -> Command:
    return AddNote(text=p.text("text"), actor=p.actor())


def _update_signals(p: _Fields) -> Command:
    return UpdateTerminationSignals(signals=p.signals("signals"), actor=p.actor())


def _propose_termination(p: _Fields) -> Command:
    return ProposeTermination(reason=p.text("reason"), actor=p.actor())


def _approve_termination(p: _Fields) -> Command:
    return ApproveTermination(reason=p.text("reason"), actor=p.actor())


def _check_deadlines(p: _Fields) -> Command:
    return CheckDeadlines(now=p.moment("now"))


def _record_delivery(p: _Fields) -> Command:
    return RecordDelivery(deliveries=p.deliveries())


def _draft_public_info(p: _Fields) -> Command:
    return DraftPublicInfo(
        draft_id=p.text("draft_id", required=True),
        kind=p.choice("kind", BulletinKind),
        edit=p.bulletin_edit(),
        updates=p.optional_text("updates"),
        rumour=p.text("rumour"),
        actor=p.actor(),
    )


def _edit_public_info(p: _Fields) -> Command:
    return EditPublicInfo(draft_id=p.text("draft_id", required=True), edit=p.bulletin_edit(), actor=p.actor())


def _approve_public_info(p: _Fields) -> Command:
    return ApprovePublicInfo(draft_id=p.text("draft_id", required=True), note=p.text("note"), actor=p.actor())


def _withdraw_public_info(p: _Fields) -> Command:
    return WithdrawPublicInfo(draft_id=p.text("draft_id", required=True), reason=p.text("reason"), actor=p.actor())


def _record_assessment(p: _Fields) -> Command:
    return RecordAssessment(
        experts=p.texts("experts", required=True) or (),
        conclusion=p.text("conclusion"),
        recommendation=p.choice("recommendation", Recommendation),
        level=p.optional_level("level"),
        assessed_at=p.moment("assessed_at"),
        actor=p.actor(),
    )


def _issue_warning(p: _Fields) -> Command:
    return IssueWarning(
        warning_id=p.text("warning_id", required=True),
        incident_type=p.text("incident_type", required=True),
        hazard=p.text("hazard", required=True),
        warning_level=p.choice("warning_level", WarningLevel),
        areas=p.texts("areas", required=True) or (),
        admin_code=p.optional_text("admin_code"),
        basis=p.text("basis"),
        edit=replace(p.bulletin_edit(), warning_level=None, hazard=None, areas=None),
        actor=p.actor(),
    )


_READERS: dict[CommandType, Callable[[_Fields], Command]] = {
    CommandType.RECEIVE_REPORT: _receive_report,
    CommandType.ACKNOWLEDGE_ALERT: _acknowledge_alert,
    CommandType.ACKNOWLEDGE_TASK: _acknowledge_task,
    CommandType.COMPLETE_TASK: _complete_task,
    CommandType.DECIDE_LEVEL: _decide_level,
    CommandType.SET_VERIFIED_FACTS: _set_verified_facts,
    CommandType.ADD_NOTE: _add_note,
    CommandType.UPDATE_TERMINATION_SIGNALS: _update_signals,
    CommandType.PROPOSE_TERMINATION: _propose_termination,
    CommandType.APPROVE_TERMINATION: _approve_termination,
    CommandType.CHECK_DEADLINES: _check_deadlines,
    CommandType.RECORD_DELIVERY: _record_delivery,
    CommandType.DRAFT_PUBLIC_INFO: _draft_public_info,
    CommandType.EDIT_PUBLIC_INFO: _edit_public_info,
    CommandType.APPROVE_PUBLIC_INFO: _approve_public_info,
    CommandType.WITHDRAW_PUBLIC_INFO: _withdraw_public_info,
    CommandType.RECORD_ASSESSMENT: _record_assessment,
    CommandType.ISSUE_WARNING: _issue_warning,
}
"""How each incident command's payload becomes its dataclass."""


def command_from_payload(type_: str, payload: Mapping[str, Any]) -> Command:
    """The typed command of type `type_` with this payload; raise WireError naming the field that does not fit."""
    try:
        reader = _READERS.get(CommandType(type_))
    except ValueError:
        reader = None
    if reader is None:
        known = ", ".join(sorted(_READERS))
        raise WireError(f"{type_}: not a command of the incident writer (known: {known})")
    return reader(_Fields(type_, payload))


def command_from_envelope(envelope: Envelope) -> Command:
    """The typed command an `incident-commands` envelope carries; raise WireError naming what does not fit."""
    return command_from_payload(envelope.type, envelope.payload)


def actor_of(envelope: Envelope) -> str | None:
    """The sending person's name as the payload gives it, even when the rest does not fit (None if none)."""
    actor = envelope.payload.get("actor")
    user = actor.get("user") if isinstance(actor, Mapping) else None
    return user if isinstance(user, str) and user else None


def _actor_payload(actor: Actor) -> Payload:
    return {"user": actor.user, "roles": sorted(actor.roles), "unit": actor.unit}


def _report_payload(report: Report) -> Payload:
    return {
        "report_id": report.report_id,
        "source": report.source,
        "reported_at": report.reported_at.isoformat(),
        "incident_type": report.incident_type,
        "incident_ref": report.incident_ref,
        "location": dict(report.location),
        "venue_type": report.venue_type,
        "facts": report.facts.to_mapping(),
        "description": report.description,
        "reporter": dict(report.reporter),
        "mode": report.mode,
        "exercise_id": report.exercise_id,
    }


def _edit_payload(edit: BulletinEdit) -> Payload:
    """The fields an edit sets (the inverse of `_Fields.bulletin_edit`)."""
    payload: Payload = {}
    for name, value in edit.changes().items():
        payload[name] = list(value) if isinstance(value, tuple) else str(value)
    return payload


def _draft_payload(command: DraftPublicInfo) -> Payload:
    payload: Payload = {"draft_id": command.draft_id, "kind": command.kind.value, **_edit_payload(command.edit)}
    if command.updates:
        payload["updates"] = command.updates
    if command.rumour:
        payload["rumour"] = command.rumour
    return payload


def _issue_warning_payload(command: IssueWarning) -> Payload:
    return {
        **_edit_payload(command.edit),
        "warning_id": command.warning_id,
        "incident_type": command.incident_type,
        "hazard": command.hazard,
        "warning_level": command.warning_level.value,
        "areas": list(command.areas),
        "admin_code": command.admin_code,
        "basis": command.basis,
    }


def _assessment_payload(command: RecordAssessment) -> Payload:
    return {
        "experts": list(command.experts),
        "conclusion": command.conclusion,
        "recommendation": command.recommendation.value,
        "level": command.level.value if command.level else None,
        "assessed_at": command.assessed_at.isoformat() if command.assessed_at else None,
    }


def _writer(
    cls: type[AnyCommand], write: Callable[[AnyCommand], Payload]
) -> tuple[type[Command], Callable[[Any], Payload]]:
    """An entry of `_WRITERS`: the command class and its encoder, checked against each other here."""
    return cls, write


_WRITERS: dict[type[Command], Callable[[Any], Payload]] = dict(
    [
        _writer(ReceiveReport, lambda c: _report_payload(c.report)),
        _writer(AcknowledgeAlert, lambda c: {"action_key": c.action_key}),
        _writer(AcknowledgeTask, lambda c: {"action_key": c.action_key, "note": c.note}),
        _writer(CompleteTask, lambda c: {"action_key": c.action_key, "result": c.result}),
        _writer(DecideLevel, lambda c: {"level": c.level.value, "reason": c.reason}),
        _writer(SetVerifiedFacts, lambda c: {"facts": c.facts.to_mapping(), "reason": c.reason}),
        _writer(AddNote, lambda c: {"text": c.text}),
        _writer(UpdateTerminationSignals, lambda c: {"signals": dict(c.signals)}),
        _writer(ProposeTermination, lambda c: {"reason": c.reason}),
        _writer(ApproveTermination, lambda c: {"reason": c.reason}),
        _writer(CheckDeadlines, lambda c: {"now": c.now.isoformat()} if c.now is not None else {}),
        _writer(RecordDelivery, lambda c: {"deliveries": [d.to_data() for d in c.deliveries]}),
        _writer(DraftPublicInfo, _draft_payload),
        _writer(EditPublicInfo, lambda c: {"draft_id": c.draft_id, **_edit_payload(c.edit)}),
        _writer(ApprovePublicInfo, lambda c: {"draft_id": c.draft_id, "note": c.note}),
        _writer(WithdrawPublicInfo, lambda c: {"draft_id": c.draft_id, "reason": c.reason}),
        _writer(RecordAssessment, _assessment_payload),
        _writer(IssueWarning, _issue_warning_payload),
    ]
)
"""How each incident command becomes its JSON payload (without the actor): the inverse of `_READERS`."""


def command_payload(command: Command) -> Payload:
    """The JSON payload of a typed command (the inverse of `command_from_payload`)."""
    write = _WRITERS.get(type(command))
    if write is None:
        raise TypeError(f"{type(command).__name__} is not an incident command")
    payload = write(command)
    if isinstance(command, PersonCommand) and command.actor != SYSTEM:
        payload["actor"] = _actor_payload(command.actor)
    return payload


def command_envelope(  # noqa: PLR0913 - the envelope's fields, keyword-only
    command: Command,
    *,
    incident_id: str,
    at: datetime,
    mode: str,
    exercise_id: str | None = None,
    causation: str | None = None,
    id_: str | None = None,
) -> Envelope:
    """The `incident-commands` envelope of a typed command (key = `incident_id`)."""
    return Envelope.new(
        CommandType(type(command).__name__),
        at=at,
        mode=mode,
        payload=command_payload(command),
        causation=causation,
        exercise_id=exercise_id,
        incident_id=incident_id,
        id_=id_,
    )


def event_type(event: Event) -> EventType:
    """The wire type of a domain event: its class name."""
    return EventType(type(event).__name__)


def event_envelope(event: Event, incident: Incident, seq: int, causation: str | None) -> Envelope:
    """The `incident-events` envelope of the incident's `seq`-th event: the event, and the incident after it.

    The id is derived from the incident and `seq`, so a replayed command republishes the same ids.
    """
    return Envelope.new(
        event_type(event),
        at=event.at,
        mode=incident.mode,
        exercise_id=incident.exercise_id,
        causation=causation,
        incident_id=incident.id,
        id_=stable_id("event", incident.id, str(seq)),
        payload={"seq": seq, "event": event.to_data(), "incident": incident.snapshot()},
    )


def correlation_closed(incident: Incident, *, at: datetime, causation: str | None) -> Envelope:
    """The `reports.accepted` marker that frees a closed incident's correlation key (ADR 0005)."""
    return Envelope.new(
        EventType.CORRELATION_CLOSED,
        at=at,
        mode=incident.mode,
        exercise_id=incident.exercise_id,
        causation=causation,
        incident_id=incident.id,
        id_=stable_id("closed", incident.id),
        payload={"correlation_key": incident.correlation_key},
    )


def report_redirected(command: Envelope) -> Envelope:
    """A ReceiveReport for a closed incident, sent back to correlation as a ReportAccepted (a new incident)."""
    return Envelope(
        id=stable_id("redirect", command.id),
        type=EventType.REPORT_ACCEPTED,
        time=command.time,
        mode=command.mode,
        payload=command.payload,
        causation=command.id,
        exercise_id=command.exercise_id,
    )
