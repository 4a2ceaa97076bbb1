"""The notifier without a worker: who gets paged, what is never sent twice (docs/adr/0016), what the timeline gets.

A real Dispatcher over the channel fakes, the real SQL delivery log on a SQLite file, the small district's
roster and a fixed clock; the event payloads are the JSON the writer puts on `incident-events`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from infra.channels import (
    CapChannel,
    ExerciseRegistry,
    InMemoryCapAlertStore,
    MemorySink,
    PermanentDeliveryError,
    idempotency_key,
)
from infra.db.engine import Database
from infra.notify.stores import SqlDeliveryStore, register_participants
from infra.wire import CommandType, Envelope, EventType, stable_id
from playbooks.organisation import Organisation, update_contacts
from playbooks.public_info import Bulletin, BulletinKind, BulletinState, MsgType
from streams.delivery import IN_DOUBT, Delivery, Notifier, NotifierSettings, sql_participants
from tests.unit.channels import fakes
from tests.unit.channels.fakes import FakeTime, ScriptedChannel
from tests.unit.organisation.factories import MONDAY, local, small_org

AT = local(MONDAY, 10)
"""Monday morning: cdc's day shift is cdc-a (duty officer) and cdc-head (leader on duty)."""
INCIDENT = "INC-1"

JsonObject = dict[str, Any]


def step(key: str, kind: str = "notify", *, owner: str = "cdc", recipients: tuple[str, ...] = ()) -> JsonObject:
    """A planned step as the writer serialises it."""
    return {
        "key": key,
        "kind": kind,
        "title": f"步骤 {key}",
        "owner": owner,
        "due_at": (AT + timedelta(minutes=30)).isoformat(),
        "recipients": list(recipients),
        "message": "请立即核实并处置。",
    }


def incident_event(
    type_: EventType, data: JsonObject, *, exercise_id: str | None = None, seq: int = 3, town: str = "城关街道"
) -> Envelope:
    """An event of incident INC-1 at the school canteen (in `town`), at level IV, carrying its snapshot."""
    mode = "exercise" if exercise_id else "actual"
    snapshot = {
        "id": INCIDENT,
        "incident_type": "food_safety",
        "mode": mode,
        "exercise_id": exercise_id,
        "level": "IV",
        "location": {"venue": "城关实验小学食堂", "town": town, "admin_code": "990101001"},
    }
    return Envelope.new(
        type_,
        at=AT,
        mode=mode,
        exercise_id=exercise_id,
        incident_id=INCIDENT,
        payload={"seq": seq, "event": data, "incident": snapshot},
        id_=stable_id("event", INCIDENT, str(seq)),
    )


def planned(*items: JsonObject, exercise_id: str | None = None) -> Envelope:
    """An ActionsPlanned event with these steps."""
    return incident_event(EventType.ACTIONS_PLANNED, {"items": list(items)}, exercise_id=exercise_id)


@dataclass
class Deployment:
    """A notifier wired to fakes, and what it reached."""

    notifier: Notifier
    outbox: ScriptedChannel
    sink: MemorySink
    alerts: InMemoryCapAlertStore
    store: SqlDeliveryStore
    time: FakeTime
    commands: list[tuple[str, Envelope]]

    @property
    def paged(self) -> list[str]:
        """Who the outbox reached (its address is the person id), in order."""
        return [address for address, _ in self.outbox.sent]

    async def deliveries(self, event: Envelope) -> list[JsonObject]:
        """Process `event`; the delivery records of the one RecordDelivery command it sent."""
        before = len(self.commands)
        command = await self.notifier.process(event)
        assert command is not None
        assert self.commands[before:] == [(INCIDENT, command)]
        records: list[JsonObject] = command.payload["deliveries"]
        return records


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """An empty delivery log and participant list in a SQLite file."""
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'tocsin.db'}")
    await database.create_schema()
    yield database
    await database.dispose()


def deploy(db: Database, outbox: ScriptedChannel | None = None, *, org: Organisation | None = None) -> Deployment:
    """The notifier with the outbox (or the given channel) and CAP, delivering through a real Dispatcher."""
    time, registry, sink, alerts = FakeTime(), ExerciseRegistry(), MemorySink(), InMemoryCapAlertStore()
    outbox = outbox or ScriptedChannel("outbox")
    store = SqlDeliveryStore(db)
    channels = [outbox, CapChannel(alerts, "tocsin@district.example.gov.cn")]
    dispatcher = fakes.dispatcher(channels, registry=registry, sink=sink, time=time, store=store)
    commands: list[tuple[str, Envelope]] = []

    async def send(incident_id: str, command: Envelope) -> None:
        commands.append((incident_id, command))

    delivery = Delivery(dispatcher, registry, store, sql_participants(db))
    enabled = NotifierSettings((outbox.name,), "区食安办")
    notifier = Notifier(org or small_org(), delivery, enabled, time, send)
    return Deployment(notifier, outbox, sink, alerts, store, time, commands)


def by_recipient(records: list[JsonObject]) -> dict[str, str]:
    return {record["recipient_id"]: record["status"] for record in records}


async def test_a_planned_step_pages_the_people_on_duty_and_reports_it_to_the_writer(db: Database) -> None:
    deployment = deploy(db)
    event = planned(step("notify_cdc", recipients=("cdc", "cdc:leader_on_duty")), step("sample", "task"))
    records = await deployment.deliveries(event)
    assert sorted(deployment.paged) == ["cdc-a", "cdc-a", "cdc-head"]  # cdc-a: the notice and the task
    assert {(r["action_key"], r["recipient_id"], r["status"]) for r in records} == {
        ("notify_cdc", "cdc-a", "delivered"),
        ("notify_cdc", "cdc-head", "delivered"),
        ("sample", "cdc-a", "delivered"),
    }
    _, command = deployment.commands[0]
    assert command.type == CommandType.RECORD_DELIVERY
    assert (command.causation, command.at) == (event.id, deployment.time.now())


async def test_an_overdue_step_escalates_to_the_next_role_up(db: Database) -> None:
    deployment = deploy(db)
    escalated = {"change": "escalated", "item": step("sample", "task"), "to_role": "unit_leader", "step": 1}
    records = await deployment.deliveries(incident_event(EventType.ACTION_UPDATED, escalated))
    assert deployment.paged == ["cdc-head"]
    assert deployment.outbox.sent[0][1].subject.startswith("【逾期升级】")
    assert by_recipient(records) == {"cdc-head": "delivered"}


async def test_an_event_that_calls_for_no_delivery_sends_nothing(db: Database) -> None:
    deployment = deploy(db)
    assert await deployment.notifier.process(incident_event(EventType.NOTE_ADDED, {"text": "现场已封存"})) is None
    assert (deployment.paged, deployment.commands) == ([], [])


async def test_a_replayed_event_is_not_sent_again_but_its_logged_outcome_is_reported_again(db: Database) -> None:
    deployment = deploy(db)
    event = planned(step("notify_cdc", recipients=("cdc", "cdc:leader_on_duty")))
    first = await deployment.deliveries(event)
    restarted = deploy(db)  # a restarted worker: new channels, the same delivery log
    again = await restarted.deliveries(event)
    assert (sorted(deployment.paged), restarted.paged) == (["cdc-a", "cdc-head"], [])
    assert by_recipient(again) == by_recipient(first) == {"cdc-a": "delivered", "cdc-head": "delivered"}
    assert all(record["replayed"] for record in again)
    assert [record["attempts"] for record in again] == [record["attempts"] for record in first]


async def test_a_send_cut_off_by_a_crash_is_reported_in_doubt_and_not_sent_again(db: Database) -> None:
    deployment = deploy(db)
    # the worker died after logging the send to cdc-a as `sending`, before recording its outcome
    await deployment.store.begin(f"{idempotency_key(INCIDENT, 'notify_cdc', 'cdc-a', 'issue')}@outbox")
    records = await deployment.deliveries(planned(step("notify_cdc", recipients=("cdc", "cdc:leader_on_duty"))))
    assert deployment.paged == ["cdc-head"]
    assert by_recipient(records) == {"cdc-a": IN_DOUBT, "cdc-head": "delivered"}
    in_doubt = next(record for record in records if record["status"] == IN_DOUBT)
    assert "confirm receipt with the recipient" in in_doubt["reason"]


async def test_a_failed_send_is_recorded_and_a_replay_may_try_it_again(db: Database) -> None:
    deployment = deploy(db, ScriptedChannel("outbox", [PermanentDeliveryError("mailbox closed")]))
    event = planned(step("notify_cdc", recipients=("cdc",)))
    failed = await deployment.deliveries(event)
    assert (failed[0]["status"], failed[0]["reason"]) == ("failed", "mailbox closed")
    assert by_recipient(await deployment.deliveries(event)) == {"cdc-a": "delivered"}
    assert deployment.paged == ["cdc-a"]


async def test_an_exercise_event_reaches_only_registered_participants(db: Database) -> None:
    deployment = deploy(db)
    await register_participants(db, "EX-1", ["cdc-a"])
    event = planned(step("notify_cdc", recipients=("cdc", "cdc:leader_on_duty")), exercise_id="EX-1")
    records = await deployment.deliveries(event)
    assert deployment.paged == ["cdc-a"]
    assert by_recipient(records) == {"cdc-a": "delivered", "cdc-head": "diverted_to_exercise_sink"}
    assert [message.diversion.recipient_id for message in deployment.sink.messages if message.diversion] == ["cdc-head"]
    assert all(message.subject.startswith("【演练】") for _, message in deployment.outbox.sent)


def approved(exercise_id: str | None = None) -> Envelope:
    """The PublicInfoApproved event of a public-information draft a publicity officer approved."""
    draft = Bulletin(
        id="step-public_information",
        kind=BulletinKind.INFORMATION,
        msg_type=MsgType.ALERT,
        state=BulletinState.APPROVED,
        headline="关于城关街道一起食品安全事件的情况通报",
        description="城关实验小学食堂发生一起疑似食物中毒事件。",
        instruction="出现症状请及时就医。咨询电话：12315。",
        event="食品安全事故",
        areas=("城关街道",),
        urgency="Expected",
        severity="Minor",
        certainty="Observed",
        created_at=AT,
        created_by=None,
        approved_at=AT,
        approved_by="宣传干事",
    )
    data = {"draft_id": draft.id, "by": "宣传干事", "state": "approved", "bulletin": draft.to_dict(), "referenced": []}
    return incident_event(EventType.PUBLIC_INFO_APPROVED, data, exercise_id=exercise_id, seq=9)


async def test_a_planned_public_information_step_publishes_nothing(db: Database) -> None:
    deployment = deploy(db)
    records = await deployment.deliveries(planned(step("warn_public", "public_info")))
    assert deployment.alerts.feeds == {}
    assert {r["channel"] for r in records} == {"outbox"}, "only the task order to its owner goes out"


async def test_an_approved_bulletin_is_published_to_the_public_feed_naming_it(db: Database) -> None:
    deployment = deploy(db)
    records = await deployment.deliveries(approved())
    [alert] = deployment.alerts.feeds["public"].values()
    assert (alert.status, alert.msg_type, alert.scope) == ("Actual", "Alert", "Public")
    assert alert.infos[0].headline == "关于城关街道一起食品安全事件的情况通报"
    assert [(r["channel"], r["status"], r["bulletin_id"]) for r in records] == [
        ("cap", "delivered", "step-public_information")
    ]


async def test_a_drills_approved_bulletin_goes_only_to_its_own_feed(db: Database) -> None:
    deployment = deploy(db)
    records = await deployment.deliveries(approved(exercise_id="EX-1"))
    assert set(deployment.alerts.feeds) == {"exercise:EX-1"}
    assert [alert.status for alert in deployment.alerts.feeds["exercise:EX-1"].values()] == ["Exercise"]
    assert ("cap", "cap:public", "delivered") in {(r["channel"], r["recipient_id"], r["status"]) for r in records}


async def test_an_owner_no_one_can_resolve_gives_a_failed_record_naming_why(db: Database) -> None:
    deployment = deploy(db)
    records = await deployment.deliveries(planned(step("sample", "task", owner="no_such_unit")))
    assert deployment.paged == []
    assert [(r["status"], r["action_key"]) for r in records] == [("failed", "sample")]
    assert records[0]["reason"] == "no_such_unit: 'no_such_unit' is neither a known unit nor a known role"


async def test_a_target_that_names_no_one_gives_a_failed_record_saying_so(db: Database) -> None:
    deployment = deploy(db)
    # district_office has no supervisor, rostered or standing
    records = await deployment.deliveries(planned(step("notify_office", recipients=("district_office:supervisor",))))
    assert deployment.paged == []
    assert records[0]["status"] == "failed"
    assert records[0]["reason"].startswith("no one on duty: ")


def with_fallback(org: Organisation | None = None) -> Organisation:
    """The small district whose roster names the district office's duty officer as the fallback."""
    org = org or small_org()
    return replace(org, roster=replace(org.roster, fallback="district_office:duty_officer"))


async def test_an_unknown_town_pages_the_district_duty_officer_and_records_who_was_not_reached(db: Database) -> None:
    deployment = deploy(db, org=with_fallback())
    event = incident_event(
        EventType.ACTIONS_PLANNED, {"items": [step("unit_report", "task", owner="town_office")]}, town="青石镇"
    )
    records = await deployment.deliveries(event)
    assert deployment.paged == ["office-officer"]
    failed = [r for r in records if r["status"] == "failed"]
    assert [(r["recipient_id"], r["unreachable"], r["fallback_to"]) for r in failed] == [
        ("town_office", True, "OFFICE-OFFICER")
    ]
    assert "'青石镇' is not a known town" in failed[0]["reason"]
    sent = [r for r in records if r["status"] == "delivered"]
    assert [(r["recipient_id"], r["fallback_for"]) for r in sent] == [("office-officer", "town_office")]
    assert "'青石镇' is not a known town" in sent[0]["reason"]
    assert "【转值班】town_office 无法送达" in deployment.outbox.sent[0][1].body


async def test_an_empty_shift_pages_the_fallback_instead_of_no_one(db: Database) -> None:
    deployment = deploy(db, org=with_fallback())
    # district_office has no supervisor, rostered or standing
    records = await deployment.deliveries(planned(step("notify_office", recipients=("district_office:supervisor",))))
    assert deployment.paged == ["office-officer"]
    assert by_recipient(records) == {"district_office:supervisor": "failed", "office-officer": "delivered"}


async def test_a_person_without_a_contact_on_an_enabled_channel_is_covered_by_the_fallback(db: Database) -> None:
    # only e-mail is enabled; cdc's duty officer has an SMS number only, the district office's has an address
    org = update_contacts(with_fallback(), "office-officer", {"email": "office@example.gov.cn"})
    deployment = deploy(db, ScriptedChannel("email"), org=org)
    records = await deployment.deliveries(planned(step("sample", "task")))
    assert deployment.paged == ["office@example.gov.cn"]
    failed = next(r for r in records if r["status"] == "failed")
    assert (failed["recipient_id"], failed["reason"]) == ("cdc-a", "no contact on an enabled channel (email)")
    sent = next(r for r in records if r["status"] == "delivered")
    assert (sent["recipient_id"], sent["channel"], sent["fallback_for"]) == ("office-officer", "email", "CDC-A")


async def test_without_a_fallback_the_unreached_record_says_so(db: Database) -> None:
    deployment = deploy(db)  # the small district's roster names no fallback
    event = incident_event(
        EventType.ACTIONS_PLANNED, {"items": [step("unit_report", "task", owner="town_office")]}, town="青石镇"
    )
    records = await deployment.deliveries(event)
    assert deployment.paged == []
    assert [r["status"] for r in records] == ["failed"]
    assert "names no fallback" in records[0]["fallback_error"]
