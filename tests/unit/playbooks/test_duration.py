"""Durations as plan officers write them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from playbooks import Duration, parse_duration
from playbooks.duration import DURATION_PATTERN

FRIDAY_5PM = datetime(2025, 3, 7, 17, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("30m", timedelta(minutes=30)),
        ("1h", timedelta(hours=1)),
        ("24h", timedelta(hours=24)),
        ("10d", timedelta(days=10)),
        ("2 hours", timedelta(hours=2)),
        ("45 min", timedelta(minutes=45)),
    ],
)
def test_calendar_durations_are_read(text: str, span: timedelta) -> None:
    assert parse_duration(text).after(FRIDAY_5PM) - FRIDAY_5PM == span


@pytest.mark.parametrize("text", ["2 hourz", "", "h", "-1h", "1.5h", "ten days"])
def test_anything_else_is_not_a_duration(text: str) -> None:
    with pytest.raises(ValueError, match="is not a duration"):
        parse_duration(text)


def test_working_days_skip_the_weekend() -> None:
    assert parse_duration("1 working day").after(FRIDAY_5PM) == datetime(2025, 3, 10, 17, 0, tzinfo=UTC)


def test_ten_working_days_are_two_calendar_weeks_from_a_monday() -> None:
    monday = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
    assert parse_duration("10 working days").after(monday) == monday + timedelta(days=14)


def test_a_working_day_span_starting_on_saturday_ends_on_a_weekday() -> None:
    saturday = datetime(2025, 3, 8, 9, 0, tzinfo=UTC)
    assert parse_duration("1 working day").after(saturday).weekday() == 0


def test_durations_print_as_written() -> None:
    assert [str(parse_duration(t)) for t in ("30 minutes", "20 working days")] == ["30m", "20 working days"]


@pytest.mark.parametrize("text", ["30m", "2 hourz", "10 working days", "1 wd", "x"])
def test_schema_pattern_agrees_with_the_parser(text: str) -> None:
    try:
        parse_duration(text)
        parsed = True
    except ValueError:
        parsed = False
    assert parsed == bool(re.match(DURATION_PATTERN, text, re.IGNORECASE))


def test_nominal_length_counts_a_working_day_as_a_day() -> None:
    assert Duration(3, "wd").nominal() == timedelta(days=3)
