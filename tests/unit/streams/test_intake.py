"""Intake without a worker: a raw report is rejected with a reason, or accepted and routed by its key."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from infra.wire import CommandType, EventType, stable_id
from playbooks import load_library
from streams.intake import Destination, Rejected, Routed, take_in
from tests.factories import report_dict

NOW = datetime(2026, 11, 29, 8, 10, tzinfo=UTC)
SOURCE = "t.reports:0:42"
LIBRARY = load_library()


def raw(**overrides: Any) -> bytes:
    """A report on the wire, reported at a fixed time."""
    return json.dumps(report_dict(reported_at="2026-11-29T08:05:00+08:00", **overrides)).encode()


def routed(data: bytes, source: str = SOURCE) -> Routed:
    outcome = take_in(data, source=source, library=LIBRARY, now=NOW)
    assert isinstance(outcome, Routed), outcome
    return outcome


def rejection(data: bytes) -> str:
    outcome = take_in(data, source=SOURCE, library=LIBRARY, now=NOW)
    assert isinstance(outcome, Rejected), outcome
    return outcome.reason


def test_a_report_that_breaks_the_schema_is_rejected_naming_the_field() -> None:
    assert "facts.cases" in rejection(raw(facts={"cases": -3}))


def test_bytes_that_are_not_json_are_rejected_saying_so() -> None:
    assert rejection(b"{not json").startswith("value is not JSON")


def test_a_report_of_a_type_without_a_playbook_is_rejected_listing_the_known_types() -> None:
    reason = rejection(raw(incident_type="volcano"))
    assert "no playbook for 'volcano'" in reason
    assert "food_safety" in reason


def test_a_report_without_incident_ref_goes_to_correlation_under_its_correlation_key() -> None:
    data = report_dict(reported_at="2026-11-29T08:05:00+08:00", location={"venue": "城关实验小学食堂"})
    outcome = routed(json.dumps(data).encode())
    assert outcome.destination is Destination.REPORTS_ACCEPTED
    assert outcome.key == "actual|food_safety|venue:城关实验小学食堂"
    assert outcome.message.type == EventType.REPORT_ACCEPTED
    assert outcome.message.causation == SOURCE
    assert outcome.message.at == NOW
    assert outcome.message.payload["report_id"] == data["report_id"]


def test_a_report_naming_its_incident_goes_to_that_incidents_writer() -> None:
    outcome = routed(raw(incident_ref="INC-20261129-abcd1234"))
    assert outcome.destination is Destination.INCIDENT_COMMANDS
    assert outcome.key == "INC-20261129-abcd1234"
    assert outcome.message.type == CommandType.RECEIVE_REPORT
    assert outcome.message.incident_id == "INC-20261129-abcd1234"


def test_an_exercise_report_keeps_its_mode_and_exercise_id() -> None:
    outcome = routed(raw(mode="exercise", exercise_id="EX-7"))
    assert (outcome.message.mode, outcome.message.exercise_id) == ("exercise", "EX-7")
    assert outcome.key.startswith("EX-7|")


def test_the_same_message_read_again_is_accepted_under_the_same_id_and_another_under_another() -> None:
    data = raw()
    assert routed(data).message.id == routed(data).message.id
    assert routed(data, source="t.reports:0:43").message.id != routed(data).message.id


def test_ids_follow_the_derivation_the_drill_driver_matches_answers_by() -> None:
    """drills/live.py recomputes these ids from the report's topic position (docs/adr/0015)."""
    outcome = routed(raw(incident_ref="INC-9"))
    accepted_id = stable_id("accepted", SOURCE)
    assert outcome.message.causation == accepted_id
    assert outcome.message.id == stable_id("receive", accepted_id, "INC-9")


def test_a_malformed_case_list_is_a_dead_letter_naming_the_item_and_field() -> None:
    person = {"person_key": "h:0001", "onset": "2026-11-29T06:00:00+08:00", "town": "城关街道", "status": "ill"}
    others = [{**person, "person_key": f"h:000{n}"} for n in (2, 3)]
    broken = [person, *others, {**person, "person_key": "h:0004", "onset": "2026-11-29 06:00"}]  # no offset
    assert "case_list[3].onset: " in rejection(raw(case_list=broken))


def test_an_unknown_venue_type_is_a_dead_letter_listing_the_accepted_ones() -> None:
    reason = rejection(raw(venue_type="太空站"))
    assert "'太空站' is not a known venue type" in reason
    assert "rural_collective_dinner (农村集体聚餐)" in reason


def test_a_venue_type_alias_is_routed_as_its_code() -> None:
    assert routed(raw(venue_type="托幼机构")).message.payload["venue_type"] == "kindergarten"
