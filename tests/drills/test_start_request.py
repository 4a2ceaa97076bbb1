"""A StartDrill is checked field by field before a drill is hosted; a bad one names the field and the value."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from drills.control import START, envelope
from drills.runner import DrillCommandError
from drills.service import start_request
from tests.drills.factories import LIBRARY, SMALL

AT = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def start(**payload: Any) -> dict[str, Any]:
    """A StartDrill envelope for exercise EX-small-1 (the small scenario at 600× unless overridden)."""
    fields = {
        "scenario_id": "small",
        "scenario_text": SMALL,
        "speed": 600,
        "bot": None,
        "participants": None,
        "requested_by": {"user": "chief", "roles": ["drill_controller"]},
        **payload,
    }
    return envelope(START, exercise_id="EX-small-1", payload=fields, at=AT, id_="c-1").to_dict()


def test_a_valid_start_becomes_a_request() -> None:
    request = start_request(start(bot="late", participants=["p-cdc-01"]), LIBRARY, (2, 41))
    assert (request.exercise_id, request.scenario.id, request.speed, request.bot) == (
        "EX-small-1",
        "small",
        600,
        "late",
    )
    assert request.participants == ("p-cdc-01",)
    assert request.requested_by == {"user": "chief", "roles": ["drill_controller"]}
    assert (request.command_id, request.start_position) == ("c-1", (2, 41))


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"scenario_text": ""}, "payload.scenario_text must be a scenario's YAML text, not ''"),
        (
            {"scenario_text": SMALL.replace("end: T+3:00", "end: soon")},
            "payload.scenario_text is not a valid scenario:\nsmall.yaml:4 end: 'soon' is not a scenario time",
        ),
        ({"scenario_id": "other"}, "payload.scenario_id 'other' is not the scenario's id 'small'"),
        ({"speed": 0}, "payload.speed: speed 0 is outside 1–600"),
        ({"speed": "600"}, "payload.speed must be a number from 1 to 600, not '600'"),
        ({"bot": "lazy"}, "payload.bot must be null or one of perfect, late, absent, not 'lazy'"),
        ({"participants": "p-cdc-01"}, "payload.participants must be null or a list of person ids, not 'p-cdc-01'"),
    ],
)
def test_a_bad_start_is_refused_naming_the_field(payload: dict[str, Any], reason: str) -> None:
    with pytest.raises(DrillCommandError, match=re.escape(reason)):
        start_request(start(**payload), LIBRARY)


def test_a_start_without_an_exercise_id_is_refused() -> None:
    with pytest.raises(DrillCommandError, match="field 'exercise_id' must be a non-empty string, not ''"):
        start_request({**start(), "exercise_id": ""}, LIBRARY)
