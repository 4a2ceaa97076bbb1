"""The read model shows who a step could not reach and why (DESIGN.md invariant 10): the incident's warnings and
routing warnings, and notification rows with their reason and whom a fallback page stands in for.

The events come from the real incident writer (a dict for its table, a fixed clock, a list for Kafka) with the
sample district, and the notifier's records as streams/delivery.py writes them.
"""

from __future__ import annotations

from typing import Any

from infra.db.engine import Database
from infra.db.projection import apply_events
from infra.db.rebuild import table_rows
from infra.wire import CommandType, Envelope, stable_id
from infra.wire.incident import command_envelope
from playbooks import Playbook, load_library
from playbooks.commands import Delivery, RecordDelivery
from streams.writer import IncidentWriter, StoredState, WriterTopics
from tests.factories import report_dict
from tests.unit.channels.fakes import START, FakeTime
from tests.unit.organisation.factories import sample

INCIDENT = "INC-20261130-0007"
LIBRARY = load_library()
TOPICS = WriterTopics(events="test.incident-events", accepted="test.reports.accepted")


async def _playbook_for(incident_type: str, version: str | None, rule_set: str | None) -> Playbook:
    return LIBRARY.get(incident_type, version)


async def unknown_town_log() -> list[dict[str, Any]]:
    """A report from 青石镇 (not in the sample district), then the notifier's records for its unit report."""
    store: dict[str, StoredState] = {}
    events: list[Envelope] = []
    time = FakeTime(START)

    async def publish(topic: str, key: str, message: Envelope) -> None:
        if topic == TOPICS.events:
            events.append(message)

    writer = IncidentWriter(store, _playbook_for, time, publish, TOPICS, district=sample())
    payload = report_dict(reported_at=time.now().isoformat(), facts={"cases": 40})
    payload["location"] = {"venue": "青石镇中心小学食堂", "town": "青石镇"}
    receive = Envelope.new(
        CommandType.RECEIVE_REPORT, at=time.now(), mode="actual", payload=payload, incident_id=INCIDENT
    )
    await writer.apply(receive)
    reason = "town_office: '青石镇' is not a known town (id, admin code or name)"
    unreached = Delivery(
        idempotency_key=stable_id("unreachable", "town_office"),
        action_key="unit_report",
        status="failed",
        recipient_id="town_office",
        recipient_name="town_office",
        reason=reason,
        extra={"unreachable": True, "fallback_to": "张雪欣"},
    )
    fallback = Delivery(
        idempotency_key="unit_report-fallback@sms",
        action_key="unit_report",
        status="delivered",
        recipient_id="p-leading_group-06",
        recipient_name="张雪欣",
        channel="sms",
        reason=reason,
        extra={"fallback_for": "town_office", "fallback_reason": reason},
    )
    record = RecordDelivery(deliveries=(unreached, fallback))
    await writer.apply(command_envelope(record, incident_id=INCIDENT, at=time.now(), mode="actual"))
    return [event.to_dict() for event in events]


async def test_the_incident_and_its_notifications_show_who_was_not_reached(db: Database) -> None:
    await apply_events(db, await unknown_town_log())
    tables = await table_rows(db)
    [incident] = tables["incidents"]
    assert incident["warnings"] == ["town '青石镇' is not in the district; its steps go to the district duty officer"]
    assert [(w["action_key"], w["who"], w["fallback_to"]) for w in incident["routing_warnings"]] == [
        ("unit_report", "town_office", "张雪欣")
    ]
    rows = {r["recipient_id"]: r for r in tables["notifications"]}
    assert (rows["town_office"]["status"], rows["town_office"]["channel"]) == ("failed", "")
    assert "'青石镇' is not a known town" in rows["town_office"]["reason"]
    assert (rows["p-leading_group-06"]["status"], rows["p-leading_group-06"]["fallback_for"]) == (
        "delivered",
        "town_office",
    )
