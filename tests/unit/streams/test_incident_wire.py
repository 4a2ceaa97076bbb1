"""The incident writer's wire contract: command payloads become typed commands once, events become envelopes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from infra.db.users import ROLES
from infra.wire import ROSTER_COMMANDS, CommandType, Envelope, EventType, WireError, stable_id
from infra.wire.incident import command_envelope, command_from_envelope, command_from_payload, command_payload
from infra.wire.incident import event_envelope as to_envelope
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
    ProposeTermination,
    ReceiveReport,
    RecordAssessment,
    RecordDelivery,
    Role,
    SetVerifiedFacts,
    UpdateTerminationSignals,
    WithdrawPublicInfo,
)
from playbooks.events import EVENT_CLASSES, NoteAdded
from playbooks.facts import Facts, Regions
from playbooks.levels import Level
from playbooks.public_info import BulletinEdit, BulletinKind, WarningLevel
from tests.unit.domain.factories import COMMANDER, DUTY_OFFICER, incident_with, report

T = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
PUBLICITY = Actor("宣传干事", frozenset({"publicity"}), None)
EVERY_COMMAND: list[Command] = [
    ReceiveReport(report=report(12)),
    AcknowledgeAlert(action_key="notify_leading_group", actor=DUTY_OFFICER),
    AcknowledgeTask(action_key="sampling", note="收到", actor=Actor("联络员", frozenset({"unit_responder"}), "cdc")),
    CompleteTask(action_key="sampling", result="送检 6 份", actor=COMMANDER),
    DecideLevel(level=Level.III, reason="专家组意见", actor=COMMANDER),
    SetVerifiedFacts(facts=Facts(cases=48, regions=Regions(townships=2)), reason="名单核对", actor=DUTY_OFFICER),
    AddNote(text="已通知学校", actor=DUTY_OFFICER),
    UpdateTerminationSignals(
        signals={"site_controlled": True, "patients_stable_since": T.isoformat()}, actor=COMMANDER
    ),
    ProposeTermination(reason="无新增病例", actor=DUTY_OFFICER),
    ApproveTermination(reason="同意", actor=COMMANDER),
    CheckDeadlines(now=T),
    RecordDelivery(
        deliveries=(
            Delivery(
                idempotency_key="k@sms",
                action_key="notify_leading_group",
                status="delivered",
                channel="sms",
                attempts=({"number": 1, "at": T.isoformat(), "outcome": "ok", "error": None},),
            ),
        )
    ),
    IssueWarning(
        warning_id="WRN-1",
        incident_type="food_safety",
        hazard="野生毒蘑菇中毒",
        warning_level=WarningLevel.YELLOW,
        areas=("城关街道",),
        admin_code="110101",
        basis="抽检趋势",
        edit=BulletinEdit(headline="城关街道毒蘑菇黄色预警"),
        actor=DUTY_OFFICER,
    ),
    DraftPublicInfo(
        draft_id="d-1",
        kind=BulletinKind.WARNING,
        edit=BulletinEdit(
            headline="预警", areas=("城关街道", "东城街道"), warning_level=WarningLevel.ORANGE, hazard="毒蘑菇"
        ),
        actor=PUBLICITY,
    ),
    DraftPublicInfo(
        draft_id="d-2", kind=BulletinKind.REFUTATION, updates="d-0", rumour="食堂死了三个学生", actor=DUTY_OFFICER
    ),
    EditPublicInfo(
        draft_id="d-1", edit=BulletinEdit(instruction="请勿采食野生蘑菇", severity="Severe"), actor=PUBLICITY
    ),
    ApprovePublicInfo(draft_id="d-1", note="核稿无误", actor=COMMANDER),
    WithdrawPublicInfo(draft_id="d-1", reason="情况已变化", actor=PUBLICITY),
    RecordAssessment(
        experts=("王专家", "李专家"),
        conclusion="病例已控制",
        recommendation=Recommendation.LOWER_LEVEL,
        level=Level.IV,
        assessed_at=T,
        actor=DUTY_OFFICER,
    ),
]


def rejection(type_: str, payload: dict[str, Any]) -> str:
    """The WireError text for this payload."""
    with pytest.raises(WireError) as error:
        command_from_payload(type_, payload)
    return str(error.value)


@pytest.mark.parametrize("command", EVERY_COMMAND, ids=lambda c: type(c).__name__)
def test_every_command_survives_the_round_trip_through_its_payload(command: Command) -> None:
    assert command_from_payload(type(command).__name__, command_payload(command)) == command


def test_every_incident_command_type_has_a_command_class() -> None:
    incident_types = {t for t in CommandType if t not in ROSTER_COMMANDS}
    assert {type(c).__name__ for c in EVERY_COMMAND} == incident_types


def test_every_event_class_has_an_event_type() -> None:
    wire_names = {t.value for t in EventType}
    assert [cls.__name__ for cls in EVENT_CLASSES if cls.__name__ not in wire_names] == []


def test_the_domains_role_names_are_the_apis() -> None:
    assert {r.value for r in Role} == set(ROLES)


def test_the_apis_payload_with_its_actor_becomes_a_typed_command() -> None:
    payload = {
        "level": "ii",
        "reason": "扩大",
        "actor": {"user": "chief", "roles": ["commander"], "unit": None, "ip": "10.1.2.3"},
    }
    command = command_from_envelope(Envelope.new(CommandType.DECIDE_LEVEL, at=T, mode="actual", payload=payload))
    assert command == DecideLevel(level=Level.II, reason="扩大", actor=Actor("chief", frozenset({"commander"}), None))


def test_a_command_without_an_actor_comes_from_the_platform_which_holds_no_role() -> None:
    command = command_from_payload(CommandType.ADD_NOTE, {"text": "t"})
    assert command == AddNote(text="t", actor=SYSTEM)
    assert not SYSTEM.roles


def test_a_level_that_is_not_one_is_named() -> None:
    reason = rejection(CommandType.DECIDE_LEVEL, {"level": "V", "reason": "r"})
    assert reason == "DecideLevel: payload.level: 'V' is not a level (I, II, III, IV or non_graded)"


@pytest.mark.parametrize(
    ("type_", "payload", "names"),
    [
        (CommandType.DECIDE_LEVEL, {"reason": "r"}, "DecideLevel: payload.level: None"),
        (CommandType.COMPLETE_TASK, {"action_key": 7}, "CompleteTask: payload.action_key: 7"),
        (CommandType.COMPLETE_TASK, {"action_key": ""}, "CompleteTask: payload.action_key: ''"),
        (CommandType.ADD_NOTE, {"text": "t", "actor": "chief"}, "AddNote: payload.actor: 'chief'"),
        (CommandType.ADD_NOTE, {"text": "t", "actor": {"roles": []}}, "AddNote: payload.actor.user: None"),
        (
            CommandType.ADD_NOTE,
            {"text": "t", "actor": {"user": "u", "roles": "commander"}},
            "AddNote: payload.actor.roles: 'commander'",
        ),
        (CommandType.SET_VERIFIED_FACTS, {"reason": "r"}, "SetVerifiedFacts: payload.facts: None"),
        (CommandType.SET_VERIFIED_FACTS, {"facts": {"cases": -3}}, "SetVerifiedFacts: payload.facts: cases:"),
        (
            CommandType.UPDATE_TERMINATION_SIGNALS,
            {"signals": {"site": [1]}},
            "UpdateTerminationSignals: payload.signals.site: [1]",
        ),
        (CommandType.CHECK_DEADLINES, {"now": "soon"}, "CheckDeadlines: payload.now: 'soon'"),
        (
            CommandType.RECORD_DELIVERY,
            {"deliveries": [{"idempotency_key": "k", "status": "delivered"}, {"status": "failed"}]},
            "RecordDelivery: payload.deliveries[1].idempotency_key: None",
        ),
        (CommandType.RECEIVE_REPORT, {"report_id": "r"}, "ReceiveReport: payload: source: Field required"),
        ("LowerEverything", {}, "LowerEverything: not a command of the incident writer"),
        (CommandType.ASSIGN_SHIFT, {}, "AssignShift: not a command of the incident writer"),
    ],
)
def test_a_payload_that_does_not_fit_is_refused_naming_the_field(
    type_: str, payload: dict[str, Any], names: str
) -> None:
    assert rejection(type_, payload).startswith(names)


def test_a_single_delivery_record_as_the_payload_is_still_read() -> None:
    command = command_from_payload(CommandType.RECORD_DELIVERY, {"idempotency_key": "k", "status": "failed"})
    assert command == RecordDelivery(deliveries=(Delivery(idempotency_key="k", action_key="", status="failed"),))


def test_a_command_envelope_carries_its_type_incident_and_payload() -> None:
    command = DecideLevel(level=Level.IV, reason="r", actor=DUTY_OFFICER)
    envelope = command_envelope(command, incident_id="INC-1", at=T, mode="exercise", exercise_id="EX-1", id_="c-1")
    assert (envelope.type, envelope.incident_id, envelope.id, envelope.exercise_id) == (
        CommandType.DECIDE_LEVEL,
        "INC-1",
        "c-1",
        "EX-1",
    )
    assert envelope.payload["actor"] == {"user": "值班员", "roles": ["duty_officer"], "unit": None}
    assert command_from_envelope(Envelope.from_json(envelope.to_json())) == command


def test_an_event_envelope_is_numbered_with_a_deterministic_id_and_carries_the_snapshot() -> None:
    incident = incident_with(report(40))
    note = NoteAdded(at=T, text="t", by="值班员")
    envelope = to_envelope(note, incident, 7, "c-1")
    assert (envelope.type, envelope.id, envelope.causation, envelope.time) == (
        EventType.NOTE_ADDED,
        stable_id("event", incident.id, "7"),
        "c-1",
        T.isoformat(),
    )
    assert (envelope.incident_id, envelope.mode, envelope.exercise_id) == (incident.id, "actual", None)
    assert envelope.payload == {"seq": 7, "event": {"text": "t", "by": "值班员"}, "incident": incident.snapshot()}
