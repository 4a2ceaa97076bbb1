"""Correlation without a worker: reports at one place within the window form one incident (DESIGN.md §3)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from infra.wire import CommandType, Envelope, EventType
from infra.wire.report import ReportRejected
from streams.correlation import Correlator
from tests.factories import report_dict
from tests.unit.channels.fakes import START

WINDOW = timedelta(hours=72)
CANTEEN = "城关实验小学食堂"


def accepted(venue: str = CANTEEN, *, at: datetime = START, **overrides: Any) -> Envelope:
    """A ReportAccepted for a report at `venue`, reported at `at`."""
    report = report_dict(reported_at=at.isoformat(), location={"venue": venue}, **overrides)
    return Envelope.new(EventType.REPORT_ACCEPTED, at=at, mode=report.get("mode", "actual"), payload=report)


def closed(incident_id: str, venue: str = CANTEEN) -> Envelope:
    """The writer's CorrelationClosed for `incident_id`, whose reports were at `venue`."""
    key = f"actual|food_safety|venue:{venue}"
    return Envelope.new(
        EventType.CORRELATION_CLOSED, at=START, mode="actual", incident_id=incident_id, payload={"correlation_key": key}
    )


def incident_of(correlator: Correlator, message: Envelope) -> str:
    """The incident the correlator sends `message` to."""
    command = correlator.handle(message)
    assert command is not None
    assert command.type == CommandType.RECEIVE_REPORT
    assert command.payload == message.payload
    return str(command.incident_id)


def test_a_second_report_at_the_same_venue_within_the_window_joins_the_first_incident() -> None:
    correlator = Correlator({}, WINDOW)
    first = incident_of(correlator, accepted(at=START))
    assert incident_of(correlator, accepted("城关实验小学 食堂。", at=START + timedelta(hours=70))) == first


def test_a_report_after_the_window_opens_a_new_incident() -> None:
    correlator = Correlator({}, WINDOW)
    first = incident_of(correlator, accepted(at=START))
    assert incident_of(correlator, accepted(at=START + WINDOW + timedelta(minutes=1))) != first


def test_the_window_runs_from_the_latest_report_so_a_steady_trickle_stays_one_incident() -> None:
    correlator = Correlator({}, WINDOW)
    first = incident_of(correlator, accepted(at=START))
    incident_of(correlator, accepted(at=START + timedelta(hours=60)))
    assert incident_of(correlator, accepted(at=START + timedelta(hours=120))) == first


def test_another_venue_and_a_drill_at_the_same_venue_open_their_own_incidents() -> None:
    correlator = Correlator({}, WINDOW)
    first = incident_of(correlator, accepted())
    elsewhere = incident_of(correlator, accepted("桥坑社区食堂"))
    drill = incident_of(correlator, accepted(mode="exercise", exercise_id="EX-1"))
    assert len({first, elsewhere, drill}) == 3


def test_a_replayed_first_report_opens_the_same_incident_id() -> None:
    message = accepted()
    assert incident_of(Correlator({}, WINDOW), message) == incident_of(Correlator({}, WINDOW), message)


def test_correlation_closed_releases_the_key_so_the_next_report_opens_a_new_incident() -> None:
    table: dict[str, Any] = {}
    correlator = Correlator(table, WINDOW)
    first = incident_of(correlator, accepted())
    assert correlator.handle(closed(first)) is None
    assert table == {}
    assert incident_of(correlator, accepted(at=START + timedelta(hours=1))) != first


def test_correlation_closed_of_an_older_incident_leaves_the_key_to_the_newer_one() -> None:
    correlator = Correlator({}, WINDOW)
    old = incident_of(correlator, accepted(at=START))
    newer = incident_of(correlator, accepted(at=START + WINDOW * 2))
    correlator.handle(closed(old))
    assert incident_of(correlator, accepted(at=START + WINDOW * 2 + timedelta(hours=1))) == newer


def test_a_report_that_does_not_validate_is_rejected_naming_the_field() -> None:
    message = accepted(facts={"cases": -1})
    with pytest.raises(ReportRejected, match=r"facts\.cases"):
        Correlator({}, WINDOW).handle(message)


def test_a_message_of_another_type_is_rejected_not_correlated() -> None:
    message = Envelope.new(CommandType.ADD_NOTE, at=START, mode="actual", payload=report_dict())
    with pytest.raises(ReportRejected, match=CommandType.ADD_NOTE):
        Correlator({}, WINDOW).handle(message)
