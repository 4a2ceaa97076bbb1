"""A report naming a town the district does not know is accepted and flagged; who a step could not reach is
shown on the incident (DESIGN.md invariant 10)."""

from __future__ import annotations

from dataclasses import replace

from playbooks.commands import Delivery, ReceiveReport, RecordDelivery
from playbooks.handlers import Context, handle, receive_report
from playbooks.incident import from_dict, to_dict
from tests.unit.domain.factories import T0, food_safety, report
from tests.unit.organisation.factories import sample


def test_a_report_from_a_town_not_in_the_district_opens_the_incident_with_a_warning() -> None:
    unknown = replace(report(40), location={"venue": "青石镇中心小学食堂", "town": "青石镇"})
    outcome = receive_report(None, "INC-1", ReceiveReport(report=unknown), Context(food_safety(), T0, sample()))
    assert outcome.incident.items  # accepted, graded and planned as any other report
    assert outcome.incident.snapshot()["warnings"] == [
        "town '青石镇' is not in the district; its steps go to the district duty officer"
    ]


def test_a_report_from_a_known_town_carries_no_warning() -> None:
    outcome = receive_report(None, "INC-1", ReceiveReport(report=report(40)), Context(food_safety(), T0, sample()))
    assert outcome.incident.snapshot()["warnings"] == []


def unreached(key: str = "unit_report") -> Delivery:
    return Delivery(
        idempotency_key=f"k-{key}",
        action_key=key,
        status="failed",
        recipient_id="town_office",
        recipient_name="town_office",
        reason="town_office: '青石镇' is not a known town (id, admin code or name)",
        extra={"unreachable": True, "fallback_to": "张雪欣"},
    )


def test_an_unreached_owner_becomes_a_routing_warning_once() -> None:
    incident = receive_report(None, "INC-1", ReceiveReport(report=report(40)), Context(food_safety(), T0)).incident
    ctx = Context(food_safety(), T0)
    events = handle(incident, RecordDelivery(deliveries=(unreached(),)), ctx).events
    assert [e.type for e in events] == ["NotificationFailed"]
    handle(incident, RecordDelivery(deliveries=(unreached(),)), ctx)  # a replayed record
    warnings = incident.snapshot()["routing_warnings"]
    assert [(w["action_key"], w["who"], w["fallback_to"]) for w in warnings] == [
        ("unit_report", "town_office", "张雪欣")
    ]
    assert "'青石镇' is not a known town" in warnings[0]["reason"]


def test_an_ordinary_failed_delivery_is_no_routing_warning() -> None:
    incident = receive_report(None, "INC-1", ReceiveReport(report=report(40)), Context(food_safety(), T0)).incident
    failed = replace(unreached(), recipient_id="cdc-a", channel="sms", reason="gateway down", extra={})
    handle(incident, RecordDelivery(deliveries=(failed,)), Context(food_safety(), T0))
    assert incident.snapshot()["routing_warnings"] == []


def test_the_warnings_survive_the_writers_stored_state() -> None:
    unknown = replace(report(40), location={"venue": "青石镇中心小学食堂", "town": "青石镇"})
    incident = receive_report(
        None, "INC-1", ReceiveReport(report=unknown), Context(food_safety(), T0, sample())
    ).incident
    handle(incident, RecordDelivery(deliveries=(unreached(),)), Context(food_safety(), T0))
    again = from_dict(to_dict(incident)).snapshot()
    assert (again["warnings"], again["routing_warnings"]) == (incident.warnings, incident.routing_warnings)
    assert again["warnings"] and again["routing_warnings"]
