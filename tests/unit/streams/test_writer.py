"""The incident writer without a worker: a dict for the table, the playbook library, a fake clock, a list for Kafka."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from infra.wire import CommandType, Envelope, EventType, stable_id
from infra.wire.incident import command_envelope
from playbooks import Playbook, load_library
from playbooks.assessment import Recommendation
from playbooks.commands import (
    AddNote,
    ApproveTermination,
    Command,
    DecideLevel,
    ProposeTermination,
    RecordAssessment,
    SignalValue,
    UpdateTerminationSignals,
)
from playbooks.incident import IncidentStatus, from_dict
from playbooks.levels import Level
from streams.writer import NEXT_ATTENTION, IncidentWriter, StoredState, WriterTopics, deadline_checks
from tests.factories import report_dict
from tests.unit.channels.fakes import START, FakeTime
from tests.unit.domain.factories import COMMANDER, DUTY_OFFICER


def assessment(recommendation: Recommendation) -> RecordAssessment:
    """The expert group's assessment the food-safety plan asks for before lowering or ending the response."""
    return RecordAssessment(experts=("专家组",), conclusion="研判", recommendation=recommendation, actor=DUTY_OFFICER)


TOPICS = WriterTopics(events="test.incident-events", accepted="test.reports.accepted")
INCIDENT = "INC-20261129-0001"
LIBRARY = load_library()


async def playbook_for(incident_type: str, version: str | None, rule_set: str | None) -> Playbook:
    """The library's playbook, as the worker's cache answers."""
    found = LIBRARY.get(incident_type, version)
    return found.with_rule_set(rule_set) if rule_set and rule_set != found.rule_set else found


class Rig:
    """A writer over an in-memory table, recording what it publishes."""

    def __init__(self) -> None:
        self.store: dict[str, StoredState] = {}
        self.sent: list[tuple[str, str, Envelope]] = []
        self.time = FakeTime(START)
        self.writer = IncidentWriter(self.store, playbook_for, self.time, self.publish, TOPICS)

    async def publish(self, topic: str, key: str, message: Envelope) -> None:
        """Kafka, as a list."""
        self.sent.append((topic, key, message))

    def on(self, topic: str) -> list[Envelope]:
        """Everything published on `topic`, in order."""
        return [message for t, _, message in self.sent if t == topic]

    @property
    def events(self) -> list[Envelope]:
        """The incident events published so far."""
        return self.on(TOPICS.events)

    def state(self) -> Any:
        """The stored incident."""
        return from_dict(self.store[INCIDENT])

    async def report(self, cases: int, *, report_id: str = "hotline-1", **overrides: Any) -> Envelope:
        """Send the ReceiveReport command of a school-canteen report with `cases` cases."""
        payload = report_dict(
            report_id=report_id, reported_at=self.time.now().isoformat(), facts={"cases": cases}, **overrides
        )
        payload["location"]["venue"] = "城关实验小学食堂"
        envelope = Envelope.new(
            CommandType.RECEIVE_REPORT,
            at=self.time.now(),
            mode="actual",
            payload=payload,
            incident_id=INCIDENT,
            id_=stable_id("receive", report_id, INCIDENT),
        )
        await self.writer.apply(envelope)
        return envelope

    async def command(self, command: Command) -> Envelope:
        """Send a typed command to the incident, as the API would."""
        envelope = command_envelope(command, incident_id=INCIDENT, at=self.time.now(), mode="actual")
        await self.writer.apply(envelope)
        return envelope

    async def raw(self, type_: str, payload: dict[str, Any]) -> Envelope:
        """Send a command envelope with any payload at all (a forged or broken one)."""
        envelope = Envelope.new(type_, at=self.time.now(), mode="actual", payload=payload, incident_id=INCIDENT)
        await self.writer.apply(envelope)
        return envelope

    async def close(self) -> None:
        """Take the incident through termination: signals, a proposal, and (a week on) a commander's approval."""
        stable_since = self.time.now().isoformat()
        signals: dict[str, SignalValue] = {
            "patients_stable_since": stable_since,
            "site_controlled": True,
            "hazards_removed": True,
        }
        await self.command(UpdateTerminationSignals(signals=signals, actor=DUTY_OFFICER))
        self.time.current += timedelta(days=8)
        if self.state().status is IncidentStatus.ACTIVE:
            await self.command(ProposeTermination(reason="无新增病例", actor=DUTY_OFFICER))
        await self.command(assessment(Recommendation.TERMINATE))
        await self.command(ApproveTermination(reason="同意终止", actor=COMMANDER))
        assert self.state().status is IncidentStatus.CLOSED


async def test_a_report_opens_the_incident_and_emits_numbered_events_with_deterministic_ids() -> None:
    rig = Rig()
    command = await rig.report(60)
    events = rig.events
    assert [e.type for e in events[:3]] == [
        EventType.INCIDENT_OPENED,
        EventType.REPORT_RECEIVED,
        EventType.LEVEL_CHANGED,
    ]
    assert [e.payload["seq"] for e in events] == list(range(1, len(events) + 1))
    assert [e.id for e in events] == [stable_id("event", INCIDENT, str(n)) for n in range(1, len(events) + 1)]
    assert {(e.incident_id, e.causation) for e in events} == {(INCIDENT, command.id)}
    assert {key for topic, key, _ in rig.sent} == {INCIDENT}
    assert events[-1].payload["incident"]["level"] == "II"
    stored = rig.store[INCIDENT]
    assert (stored["seq"], stored["level"]) == (len(events), "II")
    assert stored[NEXT_ATTENTION] is not None, "a level II incident has deadlines for the sweep"

    again = Rig()
    await again.report(60)
    assert [e.id for e in again.events] == [e.id for e in events], "a replay must publish the same ids"


async def test_a_payload_that_does_not_fit_becomes_a_command_rejected_naming_the_field() -> None:
    rig = Rig()
    await rig.report(60)
    before = len(rig.events)
    command = await rig.raw(CommandType.DECIDE_LEVEL, {"level": "V", "reason": "r", "actor": {"user": "指挥长"}})
    [rejected] = rig.events[before:]
    assert rejected.type == EventType.COMMAND_REJECTED
    assert rejected.payload["event"] == {
        "command_id": command.id,
        "command": CommandType.DECIDE_LEVEL,
        "reason": "DecideLevel: payload.level: 'V' is not a level (I, II, III, IV or non_graded)",
        "by": "指挥长",
    }
    assert rejected.payload["seq"] == before + 1
    assert rig.state().level is Level.II


async def test_a_forged_lowering_by_a_duty_officer_is_rejected_and_the_level_stays() -> None:
    rig = Rig()
    await rig.report(60)
    before = len(rig.events)
    command = await rig.command(DecideLevel(level=Level.IV, reason="降级", actor=DUTY_OFFICER))
    [rejected] = rig.events[before:]
    assert rejected.type == EventType.COMMAND_REJECTED
    assert rejected.payload["event"]["reason"] == (
        "only a commander lowers a level (II → IV); 值班员 (duty_officer) is not one"
    )
    assert (rejected.payload["event"]["by"], rejected.causation) == ("值班员", command.id)
    assert rejected.payload["incident"]["level"] == "II"
    assert rig.state().level is Level.II


async def test_a_commanders_lowering_is_applied() -> None:
    rig = Rig()
    await rig.report(60)
    await rig.command(assessment(Recommendation.LOWER_LEVEL))
    before = len(rig.events)
    await rig.command(DecideLevel(level=Level.IV, reason="专家组意见", actor=COMMANDER))
    assert rig.events[before].type == EventType.LEVEL_CHANGED
    assert rig.events[before].payload["event"]["decided_by"] == "指挥长"
    assert rig.state().level is Level.IV


async def test_a_closed_incident_frees_its_place_and_a_later_report_goes_back_to_correlation() -> None:
    rig = Rig()
    await rig.report(40)
    await rig.close()
    [marker] = rig.on(TOPICS.accepted)
    assert (marker.type, marker.payload["correlation_key"]) == (
        EventType.CORRELATION_CLOSED,
        rig.state().correlation_key,
    )
    events_before = len(rig.events)

    late = await rig.report(3, report_id="hotline-2")
    assert len(rig.events) == events_before, "a closed incident takes no new report"
    redirected = rig.on(TOPICS.accepted)[-1]
    assert (redirected.type, redirected.id, redirected.causation) == (
        EventType.REPORT_ACCEPTED,
        stable_id("redirect", late.id),
        late.id,
    )
    assert redirected.payload == late.payload
    assert rig.sent[-1][1] == rig.state().correlation_key


async def test_a_repeated_command_id_is_harmless() -> None:
    rig = Rig()
    await rig.report(60)
    note = command_envelope(
        AddNote(text="已通知学校", actor=DUTY_OFFICER), incident_id=INCIDENT, at=START, mode="actual"
    )
    await rig.writer.apply(note)
    after_first = (len(rig.sent), dict(rig.store[INCIDENT]))
    await rig.writer.apply(note)
    assert (len(rig.sent), rig.store[INCIDENT]) == after_first
    assert [e.type for e in rig.events].count(EventType.NOTE_ADDED) == 1


async def test_a_repeated_rejected_command_is_not_rejected_twice() -> None:
    rig = Rig()
    await rig.report(60)
    forged = command_envelope(
        DecideLevel(level=Level.IV, reason="降级", actor=DUTY_OFFICER), incident_id=INCIDENT, at=START, mode="actual"
    )
    await rig.writer.apply(forged)
    await rig.writer.apply(forged)
    assert [e.type for e in rig.events].count(EventType.COMMAND_REJECTED) == 1


async def test_a_command_for_an_unknown_incident_changes_nothing() -> None:
    rig = Rig()
    await rig.command(AddNote(text="t", actor=DUTY_OFFICER))
    await rig.raw(CommandType.RECEIVE_REPORT, {"report_id": "broken"})
    assert (rig.sent, rig.store) == ([], {})


async def test_the_sweep_asks_only_incidents_whose_deadline_is_due_and_the_writer_escalates() -> None:
    rig = Rig()
    await rig.report(60)
    due_at = datetime.fromisoformat(rig.store[INCIDENT][NEXT_ATTENTION])
    assert deadline_checks(rig.store.items(), due_at - timedelta(seconds=1)) == []
    [check] = deadline_checks(rig.store.items(), due_at)
    assert (check.type, check.incident_id, check.payload) == (
        CommandType.CHECK_DEADLINES,
        INCIDENT,
        {"now": due_at.isoformat()},
    )
    before = len(rig.events)
    rig.time.current = due_at
    await rig.writer.apply(check)
    escalated = [e for e in rig.events[before:] if e.payload["event"].get("change") == "escalated"]
    assert escalated, "an overdue step escalates when the sweep asks"
    assert datetime.fromisoformat(rig.store[INCIDENT][NEXT_ATTENTION]) > due_at


async def test_the_new_state_is_stored_only_once_its_events_are_written_to_the_log() -> None:
    """A crash between the two must never leave a state that already holds a report whose events were lost."""
    store: dict[str, StoredState] = {}
    written = asyncio.Event()
    seen_store_before_ack: list[bool] = []

    async def publish(topic: str, key: str, message: Envelope) -> asyncio.Task[bool]:
        seen_store_before_ack.append(INCIDENT in store)
        return asyncio.create_task(written.wait())  # the broker's acknowledgement, held back

    writer = IncidentWriter(store, playbook_for, FakeTime(START), publish, TOPICS)
    payload = report_dict(report_id="hotline-1", reported_at=START.isoformat(), facts={"cases": 60})
    command = Envelope.new(
        CommandType.RECEIVE_REPORT, at=START, mode="actual", payload=payload, incident_id=INCIDENT, id_="c-1"
    )
    applying = asyncio.create_task(writer.apply(command))
    for _ in range(20):
        await asyncio.sleep(0)

    assert seen_store_before_ack and not any(seen_store_before_ack)
    assert INCIDENT not in store  # events published, not yet acknowledged: nothing stored
    written.set()
    await applying
    assert INCIDENT in store
